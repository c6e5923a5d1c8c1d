import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Clock } from '../../platform/clock';
import type { Logger } from '../../platform/logger';
import type { Notice, NoticeChannel } from './notifier.port';

/** DingTalk delivers at most 500 work notifications per employee per day to an internal app. */
export const DAILY_NOTICE_LIMIT = 500;

/**
 * Sends notices to members. Every notice's content is made unique (the platform silently drops
 * identical content sent to the same person twice a day), and the per-person daily cap is counted
 * here, because past it the platform answers "ok" and delivers nothing.
 */
export class Notifier {
  constructor(
    private readonly d: {
      ds: DataSource;
      channel: NoticeChannel;
      clock: Clock;
      logger: Logger;
      timeZone?: string;
    },
  ) {
    // Formatters are costly to build (time zone data): built once, used for every notice.
    const timeZone = d.timeZone ?? 'Asia/Shanghai';
    this.stampFormat = new Intl.DateTimeFormat('zh-CN', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hour12: false,
    });
    this.dayFormat = new Intl.DateTimeFormat('en-CA', { timeZone });
  }

  private readonly stampFormat: Intl.DateTimeFormat;
  private readonly dayFormat: Intl.DateTimeFormat;

  async notify(
    tenantId: string,
    memberIds: string[],
    notice: Notice,
  ): Promise<{ sent: number; skipped: number }> {
    if (memberIds.length === 0) return { sent: 0, skipped: 0 };
    const day = this.day();
    // Count first, atomically: only members still under the cap get this one.
    const allowed: { member_id: string; external_id: string }[] = await this.d.ds.query(
      `WITH targets AS (
         SELECT m.id, m.external_id FROM members m
          WHERE m.tenant_id = $1 AND m.id = ANY($2) AND m.external_id IS NOT NULL AND m.status = 'active'
       ), bumped AS (
         INSERT INTO notice_counters (tenant_id, member_id, day, sent)
         SELECT $1, t.id, $3, 1 FROM targets t
         ON CONFLICT (tenant_id, member_id, day) DO UPDATE SET sent = notice_counters.sent + 1
           WHERE notice_counters.sent < $4
         RETURNING member_id
       )
       SELECT b.member_id, t.external_id FROM bumped b JOIN targets t ON t.id = b.member_id`,
      [tenantId, memberIds, day, DAILY_NOTICE_LIMIT],
    );
    const skipped = memberIds.length - allowed.length;
    if (skipped > 0)
      this.d.logger.warn({ tenantId, skipped }, 'notices skipped: daily limit reached or member inactive');
    if (allowed.length === 0) return { sent: 0, skipped };
    await this.d.channel.send(
      tenantId,
      allowed.map((a) => a.external_id),
      this.unique(notice),
    );
    return { sent: allowed.length, skipped };
  }

  private unique(notice: Notice): Notice {
    const stamp = this.stampFormat.format(this.d.clock.now());
    return { ...notice, body: `${notice.body}\n${stamp} · #${randomBytes(3).toString('hex')}` };
  }

  private day(): string {
    return this.dayFormat.format(this.d.clock.now());
  }
}
