import MailComposer from 'nodemailer/lib/mail-composer';
import type { DataSource } from 'typeorm';
import {
  AUTO_REPLY_INTERVAL_DAYS,
  type AutoReplyBody,
  type AutoReplyDto,
} from '../../../../shared/mail/vacation';
import type { Clock } from '../../../platform/clock';
import type { Actor } from '../../../platform/http/actor';
import type { Logger } from '../../../platform/logger';
import { MailboxAccess } from '../../mail/mailbox-access';
import type { DeliveredMail } from '../local-delivery.service';
import type { OutgoingMessage } from '../outgoing-mail.service';

interface AutoReplyRow {
  mailbox_id: string;
  enabled: boolean;
  start_date: string | null;
  end_date: string | null;
  time_zone: string;
  subject: string | null;
  body: string;
  internal_only: boolean;
  updated_at: Date | null;
}

/** Senders never answered (RFC 3834 §2 and common practice): bounces, robots, list software. */
const ROBOT_LOCAL_PART =
  /^(?:mailer-daemon|postmaster|no-?reply|do-?not-?reply|noreply-.*|bounces?|bounce-.*|listserv|majordomo|owner-.*|.*-request|.*-bounces?)$/i;

/**
 * Vacation auto-replies (RFC 3834): the owner's settings, and the after-commit listener that answers
 * mail landing in an Inbox — never lists, bulk or automatic mail, never the null sender or robots,
 * and each sender at most once per 4 days per mailbox. Replies go out with the null sender through
 * the outgoing pipeline (kind 'auto', so the external-sending policy and daily limits apply).
 */
/** How long this process trusts its list of mailboxes with an enabled auto-reply (other processes' edits). */
const ENABLED_CACHE_MS = 30_000;

export class AutoReplyService {
  private readonly inFlight = new Set<Promise<void>>();
  /** Per organization: the mailboxes with an enabled auto-reply, so most deliveries cost no query. */
  private readonly enabled = new Map<string, { at: number; ids: Promise<Set<string>> }>();

  constructor(
    private readonly d: {
      ds: DataSource;
      clock: Clock;
      logger: Logger;
      submit: (msg: OutgoingMessage) => Promise<unknown>;
      hostname: string;
    },
  ) {}

  async get(actor: Actor): Promise<AutoReplyDto> {
    const scope = await MailboxAccess.resolve(this.d.ds, actor);
    const [row]: AutoReplyRow[] = await this.d.ds.query(
      `SELECT mailbox_id, enabled, start_date::text, end_date::text, time_zone, subject, body, internal_only, updated_at
         FROM mail_auto_replies WHERE tenant_id = $1 AND mailbox_id = $2`,
      [scope.tenantId, scope.mailboxId],
    );
    return this.present(row ?? null, await this.timeZone(scope.tenantId));
  }

  async put(actor: Actor, body: AutoReplyBody): Promise<AutoReplyDto> {
    const scope = await MailboxAccess.resolve(this.d.ds, actor);
    const tz = await this.timeZone(scope.tenantId);
    const [row]: AutoReplyRow[] = await this.d.ds.query(
      `INSERT INTO mail_auto_replies (tenant_id, mailbox_id, enabled, start_date, end_date, time_zone, subject, body, internal_only, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (tenant_id, mailbox_id) DO UPDATE SET enabled = EXCLUDED.enabled, start_date = EXCLUDED.start_date,
         end_date = EXCLUDED.end_date, time_zone = EXCLUDED.time_zone, subject = EXCLUDED.subject, body = EXCLUDED.body,
         internal_only = EXCLUDED.internal_only, updated_at = EXCLUDED.updated_at
       RETURNING mailbox_id, enabled, start_date::text, end_date::text, time_zone, subject, body, internal_only, updated_at`,
      [
        scope.tenantId,
        scope.mailboxId,
        body.enabled,
        body.startDate,
        body.endDate,
        tz,
        body.subject || null,
        body.body,
        body.internalOnly,
        this.d.clock.now(),
      ],
    );
    this.enabled.delete(scope.tenantId);
    return this.present(row!, tz);
  }

  /** The delivery listener: returns at once; the reply is composed and submitted in the background. */
  readonly onDelivered = async (mail: DeliveredMail): Promise<void> => {
    const inbox = mail.copies.filter((c) => c.folderRole === 'inbox');
    if (inbox.length === 0 || mail.parsed.isAutoSubmitted || mail.parsed.isBulkOrList) return;
    const sender = replyableSender(mail.envelopeFrom);
    if (!sender) return;
    const enabled = await this.enabledMailboxes(mail.tenantId);
    const candidates = inbox.map((c) => c.mailboxId).filter((id) => enabled.has(id));
    if (candidates.length === 0) return;
    const work = this.replyAll(mail, sender, candidates)
      .catch((err: unknown) => this.d.logger.error({ err, tenantId: mail.tenantId }, 'auto-reply failed'))
      .finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  };

  private enabledMailboxes(tenantId: string): Promise<Set<string>> {
    const now = Date.now();
    const hit = this.enabled.get(tenantId);
    if (hit && now - hit.at < ENABLED_CACHE_MS) return hit.ids;
    const ids = this.d.ds
      .query(`SELECT mailbox_id FROM mail_auto_replies WHERE tenant_id = $1 AND enabled`, [tenantId])
      .then((rows: { mailbox_id: string }[]) => new Set(rows.map((r) => r.mailbox_id)));
    ids.catch(() => this.enabled.delete(tenantId));
    this.enabled.set(tenantId, { at: now, ids });
    return ids;
  }

  /** Resolves when every reply started so far has been submitted (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async replyAll(mail: DeliveredMail, sender: string, mailboxIds: string[]): Promise<void> {
    const rows: (AutoReplyRow & {
      address: string;
      display_name: string | null;
      internal_sender: boolean;
    })[] = await this.d.ds.query(
      `SELECT r.mailbox_id, r.start_date::text, r.end_date::text, r.time_zone, r.subject, r.body, r.internal_only,
                mb.local_part || '@' || d.name AS address, m.display_name,
                EXISTS (SELECT 1 FROM domains sd WHERE sd.tenant_id = r.tenant_id AND sd.name = $3) AS internal_sender
           FROM mail_auto_replies r
           JOIN mailboxes mb ON mb.tenant_id = r.tenant_id AND mb.id = r.mailbox_id AND mb.status = 'active'
           JOIN domains d ON d.tenant_id = mb.tenant_id AND d.id = mb.domain_id
           LEFT JOIN members m ON m.tenant_id = mb.tenant_id AND m.id = mb.member_id
          WHERE r.tenant_id = $1 AND r.mailbox_id = ANY($2) AND r.enabled`,
      [mail.tenantId, mailboxIds, sender.split('@')[1]],
    );
    const now = this.d.clock.now();
    for (const row of rows) {
      if (row.address.toLowerCase() === sender) continue;
      if (row.internal_only && !row.internal_sender) continue;
      if (!withinDates(now, row.start_date, row.end_date, row.time_zone)) continue;
      if (!(await this.claim(mail.tenantId, row.mailbox_id, sender, now))) continue;
      const raw = await this.compose(mail, row, sender, now);
      await this.d.submit({
        tenantId: mail.tenantId,
        mailboxId: row.mailbox_id,
        envelopeFrom: '',
        recipients: [sender],
        raw,
        kind: 'auto',
      });
    }
  }

  /** Atomically: true if this sender was not answered from this mailbox in the last 4 days. */
  async claim(tenantId: string, mailboxId: string, sender: string, now: Date): Promise<boolean> {
    const rows = await this.d.ds.query(
      `INSERT INTO mail_auto_reply_log (tenant_id, mailbox_id, sender, last_sent_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id, mailbox_id, sender) DO UPDATE SET last_sent_at = EXCLUDED.last_sent_at
         WHERE mail_auto_reply_log.last_sent_at <= EXCLUDED.last_sent_at - make_interval(days => $5)
       RETURNING sender`,
      [tenantId, mailboxId, sender, now, AUTO_REPLY_INTERVAL_DAYS],
    );
    return rows.length > 0;
  }

  private async compose(
    mail: DeliveredMail,
    row: AutoReplyRow & { address: string; display_name: string | null },
    sender: string,
    now: Date,
  ): Promise<Buffer> {
    const original = mail.parsed;
    const originalId = original.messageIdGenerated ? null : `<${original.messageId}>`;
    const references = [...original.references.map((r) => `<${r}>`), ...(originalId ? [originalId] : [])];
    const composer = new MailComposer({
      from: { name: row.display_name ?? '', address: row.address },
      to: sender,
      subject: row.subject || `自动回复: ${original.subject || ''}`.trim(),
      text: row.body,
      date: now,
      messageId: `<auto-${now.getTime().toString(36)}-${Math.random().toString(36).slice(2, 10)}@${this.d.hostname}>`,
      inReplyTo: originalId ?? undefined,
      references: references.length ? references.slice(-20).join(' ') : undefined,
      headers: {
        'Auto-Submitted': 'auto-replied',
        'X-Auto-Response-Suppress': 'All',
        Precedence: 'auto_reply',
      },
    });
    return composer.compile().build();
  }

  private async timeZone(tenantId: string): Promise<string> {
    const [row] = await this.d.ds.query(`SELECT time_zone FROM tenants WHERE id = $1`, [tenantId]);
    return row?.time_zone ?? 'Asia/Shanghai';
  }

  private present(row: AutoReplyRow | null, tz: string): AutoReplyDto {
    const timeZone = row?.time_zone ?? tz;
    return {
      enabled: row?.enabled ?? false,
      startDate: row?.start_date ?? null,
      endDate: row?.end_date ?? null,
      subject: row?.subject ?? null,
      body: row?.body ?? '',
      internalOnly: row?.internal_only ?? false,
      timeZone,
      activeNow: !!row?.enabled && withinDates(this.d.clock.now(), row.start_date, row.end_date, timeZone),
      updatedAt: row?.updated_at ? new Date(row.updated_at).toISOString() : null,
    };
  }
}

/** The envelope sender to answer, or null for the null sender, robots and malformed addresses. */
export function replyableSender(envelopeFrom: string | null): string | null {
  const sender = (envelopeFrom ?? '').trim().toLowerCase();
  const at = sender.lastIndexOf('@');
  if (at <= 0 || at === sender.length - 1) return null;
  if (ROBOT_LOCAL_PART.test(sender.slice(0, at))) return null;
  return sender;
}

/** Today (in the time zone) lies within the inclusive dates. */
export function withinDates(now: Date, start: string | null, end: string | null, timeZone: string): boolean {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone }).format(now);
  return (!start || today >= start) && (!end || today <= end);
}
