import type { Logger } from '../../platform/logger';
import type { Notice } from '../directory/notifier.port';
import type { DeliveredMail } from './local-delivery.service';

/** The slice of the Notifier this needs. */
export interface NoticeSender {
  notify(tenantId: string, memberIds: string[], notice: Notice): Promise<unknown>;
}

interface Pending {
  tenantId: string;
  memberId: string;
  items: { from: string; subject: string }[];
  count: number;
}

/**
 * Tells each recipient member about mail landing in their Inbox (not Junk, not discarded, not a
 * rule's folder) with a DingTalk work notification: sender and subject. Mail arriving within a short
 * window is coalesced into one notice per person ("3 封新邮件"), and during a burst a person gets
 * at most one notice per 15 s: this spares the platform's per-person daily cap (500) and its rate
 * limit. Fire-and-forget: failures are logged.
 */
export class NewMailNotices {
  private readonly pending = new Map<string, Pending>();
  /** When each person last got a notice: during a burst they get at most one per `minIntervalMs`. */
  private readonly lastSent = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly d: {
      notifier: NoticeSender;
      logger: Logger;
      windowMs?: number;
      minIntervalMs?: number;
      url?: string;
    },
  ) {}

  readonly onDelivered = async (mail: DeliveredMail): Promise<void> => {
    const members = [
      ...new Set(mail.copies.filter((c) => c.folderRole === 'inbox' && c.memberId).map((c) => c.memberId!)),
    ];
    if (members.length === 0) return;
    const sender = mail.parsed.from[0];
    const item = {
      from: (sender?.name || sender?.address || mail.envelopeFrom || '未知发件人').slice(0, 80),
      subject: (mail.parsed.subject || '(无主题)').slice(0, 120),
    };
    for (const memberId of members) {
      const key = `${mail.tenantId}:${memberId}`;
      const p = this.pending.get(key) ?? { tenantId: mail.tenantId, memberId, items: [], count: 0 };
      if (p.items.length < 3) p.items.push(item);
      p.count++;
      this.pending.set(key, p);
    }
    this.schedule();
  };

  private schedule(): void {
    if (this.timer || this.pending.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flushing = this.flushing.then(() => this.flush(false));
    }, this.d.windowMs ?? 1000);
    this.timer.unref?.();
  }

  /**
   * Sends what is due: everyone, when `force` (shutdown, tests), else those not notified within
   * the minimum interval; the rest keep collecting and go out in a later round.
   */
  async flush(force = true): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const now = Date.now();
    const minInterval = this.d.minIntervalMs ?? 15_000;
    const batch: Pending[] = [];
    for (const [key, p] of this.pending) {
      if (!force && now - (this.lastSent.get(key) ?? 0) < minInterval) continue;
      batch.push(p);
      this.pending.delete(key);
      this.lastSent.set(key, now);
    }
    for (const [key, at] of this.lastSent) if (now - at >= minInterval) this.lastSent.delete(key);
    this.schedule();
    // People getting the very same notice (one message to a group) share one call.
    const byContent = new Map<string, { tenantId: string; notice: Notice; memberIds: string[] }>();
    for (const p of batch) {
      const notice = this.notice(p);
      const key = `${p.tenantId}\u0000${notice.title}\u0000${notice.body}`;
      const entry = byContent.get(key) ?? { tenantId: p.tenantId, notice, memberIds: [] };
      entry.memberIds.push(p.memberId);
      byContent.set(key, entry);
    }
    await Promise.all(
      [...byContent.values()].map((e) =>
        this.d.notifier
          .notify(e.tenantId, e.memberIds, e.notice)
          .catch((err: unknown) =>
            this.d.logger.warn(
              { err, tenantId: e.tenantId, members: e.memberIds.length },
              'new-mail notice failed',
            ),
          ),
      ),
    );
  }

  /** Waits for any notice already due (tests). */
  async idle(): Promise<void> {
    await this.flushing;
    await this.flush(true);
  }

  private notice(p: Pending): Notice {
    const lines = p.items.map((i) => `${i.from}：${i.subject}`);
    const more = p.count > p.items.length ? `\n…以及另外 ${p.count - p.items.length} 封` : '';
    return {
      title: p.count === 1 ? '新邮件' : `${p.count} 封新邮件`,
      body: lines.join('\n') + more,
      url: this.d.url,
      fields:
        p.count === 1
          ? [
              { label: '发件人', value: p.items[0]!.from },
              { label: '主题', value: p.items[0]!.subject },
            ]
          : undefined,
    };
  }
}
