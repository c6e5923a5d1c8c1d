import cron, { type ScheduledTask } from 'node-cron';
import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '../../platform/clock';
import { AppError } from '../../platform/errors';
import type { Logger } from '../../platform/logger';
import type { Notifier } from '../directory';
import { outgoingFor } from '../mail/compose.service';
import type { DraftState, DraftStore } from '../mail/drafts.service';
import type { OutgoingMailService } from '../transport';

/** Senders one claiming transaction takes at most (their due rows, up to the batch size). */
const SENDERS_PER_BATCH = 8;

export interface DispatcherOptions {
  /** Rows claimed per transaction. */
  batchSize?: number;
  /** Claiming transactions run side by side in this process (each holds one connection). */
  workers?: number;
  /** A send dispatched this long after its due time is marked late. */
  lateAfterMs?: number;
  /** Transient failures are retried with back-off this many times, then the send fails. */
  maxAttempts?: number;
  /** Test hook: runs inside the claiming transaction, after the sends, before the commit. */
  beforeCommit?: (scheduledIds: string[]) => Promise<void>;
}

export interface TickResult {
  sent: number;
  failed: number;
  retried: number;
}

interface Claimed {
  tenant_id: string;
  id: string;
  mailbox_id: string;
  member_id: string | null;
  message_id: string | null;
  due_at: Date;
  attempts: number;
  address: string;
}

interface Failure {
  tenantId: string;
  memberId: string | null;
  subject: string;
  error: string;
}

/**
 * Sends what is due. Each tick claims due rows with FOR UPDATE SKIP LOCKED and, in that same
 * transaction, submits each message (Sent copy, local delivery, outbound queue) and marks the row
 * sent: a crash before the commit leaves the row queued and nothing delivered, a commit does both,
 * so each send happens exactly once across restarts and across replicas on one database.
 */
export class SendDispatcher {
  private task: ScheduledTask | undefined;
  private wake: NodeJS.Timeout | undefined;
  private running = false;
  private readonly o: Required<Omit<DispatcherOptions, 'beforeCommit'>> &
    Pick<DispatcherOptions, 'beforeCommit'>;

  constructor(
    private readonly d: {
      ds: DataSource;
      clock: Clock;
      outgoing: OutgoingMailService;
      drafts: DraftStore;
      notifier?: Notifier;
      logger: Logger;
    },
    options: DispatcherOptions = {},
  ) {
    this.o = {
      batchSize: options.batchSize ?? 200,
      workers: options.workers ?? 2,
      lateAfterMs: options.lateAfterMs ?? 60_000,
      maxAttempts: options.maxAttempts ?? 8,
      beforeCommit: options.beforeCommit,
    };
  }

  /**
   * Ticks every second (node-cron, no overlap). After each tick it peeks at the next due time and,
   * when that falls before the next tick, wakes up right then: an undo window ending at 12.3 s goes
   * out at 12.3 s, not at 13 s.
   */
  start(): void {
    // The callback returns at once (node-cron would log a warning for every skipped second of a long
    // tick); `running` keeps ticks from overlapping, together with the early wake-ups.
    this.task ??= cron.schedule(
      '* * * * * *',
      () => {
        void this.run();
      },
      { name: 'send-dispatcher', noOverlap: true },
    );
  }

  async stop(): Promise<void> {
    const task = this.task;
    this.task = undefined;
    if (this.wake) clearTimeout(this.wake);
    await task?.destroy();
    while (this.running) await new Promise((r) => setTimeout(r, 20));
  }

  private async run(): Promise<void> {
    if (this.running || !this.task) return;
    this.running = true;
    try {
      const r = await this.tick();
      await this.wakeForNext(r.sent + r.failed + r.retried === 0);
    } catch (err) {
      this.d.logger.error({ err }, 'send dispatcher tick failed');
    } finally {
      this.running = false;
    }
  }

  private async wakeForNext(idle: boolean): Promise<void> {
    const [row] = await this.d.ds.query(
      `SELECT min(next_attempt_at) AS next FROM scheduled_sends WHERE status = 'queued'`,
    );
    if (!row?.next || !this.task) return;
    const wait = new Date(row.next).getTime() - this.d.clock.now().getTime();
    // Overdue rows an idle tick could not claim are another replica's (locked): wait for the cron.
    if (wait >= 1000 || (wait <= 0 && idle)) return;
    if (this.wake) clearTimeout(this.wake);
    this.wake = setTimeout(() => void this.run(), Math.max(0, wait));
    this.wake.unref();
  }

  /** Sends everything due now, with `workers` claiming transactions side by side. */
  async tick(): Promise<TickResult> {
    const total: TickResult = { sent: 0, failed: 0, retried: 0 };
    await Promise.all(
      Array.from({ length: this.o.workers }, async () => {
        for (;;) {
          const r = await this.batch();
          total.sent += r.sent;
          total.failed += r.failed;
          total.retried += r.retried;
          // Nothing claimable (none due, or every due sender is another transaction's): done.
          if (r.claimed === 0) return;
        }
      }),
    );
    return total;
  }

  private async batch(): Promise<TickResult & { claimed: number }> {
    const after: (() => Promise<void>)[] = [];
    const failures: Failure[] = [];
    const result = await this.d.ds.transaction(async (em) => {
      const now = this.d.clock.now();
      // Each transaction takes whole senders: a transaction-scoped advisory lock per sending mailbox,
      // tried on a random sample of the senders with due rows. Transactions side by side then never
      // wait on the same sender's rows (Sent folder, quota, daily counters) until the other commits.
      const rows: Claimed[] = await em.query(
        `WITH candidates AS (
           SELECT mailbox_id FROM (
             SELECT DISTINCT mailbox_id FROM scheduled_sends WHERE status = 'queued' AND next_attempt_at <= $1
           ) d ORDER BY random() LIMIT $3
         ), owned AS MATERIALIZED (
           SELECT mailbox_id FROM candidates
            WHERE pg_try_advisory_xact_lock(hashtextextended('scheduled-send:' || mailbox_id::text, 0))
         )
         SELECT s.tenant_id, s.id, s.mailbox_id, s.member_id, s.message_id, s.due_at, s.attempts,
                b.local_part || '@' || d.name AS address
           FROM scheduled_sends s
           JOIN mailboxes b ON b.tenant_id = s.tenant_id AND b.id = s.mailbox_id
           JOIN domains d ON d.tenant_id = b.tenant_id AND d.id = b.domain_id
          WHERE s.status = 'queued' AND s.next_attempt_at <= $1 AND s.mailbox_id IN (SELECT mailbox_id FROM owned)
          ORDER BY s.next_attempt_at
          LIMIT $2
          FOR UPDATE OF s SKIP LOCKED`,
        [now, this.o.batchSize, SENDERS_PER_BATCH],
      );
      const r = { sent: 0, failed: 0, retried: 0, claimed: rows.length };
      // One sender's rows together, in a fixed order: fewer lock-order deadlocks between batches.
      rows.sort((x, y) => (x.mailbox_id < y.mailbox_id ? -1 : x.mailbox_id > y.mailbox_id ? 1 : 0));
      for (const row of rows) {
        await em.query('SAVEPOINT dispatch_row');
        try {
          after.push(await this.sendOne(em, row, now));
          await em.query('RELEASE SAVEPOINT dispatch_row');
          r.sent++;
        } catch (err) {
          await em.query('ROLLBACK TO SAVEPOINT dispatch_row');
          const failure = await this.failOne(em, row, err, now);
          if (failure) {
            failures.push(failure);
            r.failed++;
          } else r.retried++;
        }
      }
      if (rows.length > 0 && this.o.beforeCommit) await this.o.beforeCommit(rows.map((x) => x.id));
      return r;
    });
    // After the commit: notices and auto-replies of the local copies, a few at a time.
    for (let i = 0; i < after.length; i += 20) {
      await Promise.all(
        after
          .slice(i, i + 20)
          .map((fn) => fn().catch((err) => this.d.logger.error({ err }, 'after-send effect failed'))),
      );
    }
    for (const f of failures) await this.notifyFailure(f);
    return result;
  }

  private async sendOne(em: EntityManager, row: Claimed, now: Date): Promise<() => Promise<void>> {
    if (!row.message_id)
      throw new AppError('mail.message_gone', 410, 'The message was deleted before it was sent');
    const [draft] = await em.query(
      `SELECT fields, reply_of FROM message_drafts WHERE tenant_id = $1 AND message_id = $2`,
      [row.tenant_id, row.message_id],
    );
    if (!draft) throw new AppError('mail.message_gone', 410, 'The message was deleted before it was sent');
    const message = await outgoingFor(
      em,
      { tenantId: row.tenant_id, mailboxId: row.mailbox_id, address: row.address },
      row.message_id,
      draft.fields as DraftState,
      now,
    );
    const submitted = await this.d.outgoing.submitIn(em, message);
    const late = now.getTime() - new Date(row.due_at).getTime() > this.o.lateAfterMs;
    await em.query(
      `UPDATE scheduled_sends SET status = 'sent', sent_at = $3, is_late = $4, attempts = attempts + 1,
              sent_message_id = $5, last_error = NULL, updated_at = $3
        WHERE tenant_id = $1 AND id = $2`,
      [row.tenant_id, row.id, now, late, submitted.sentMessageId],
    );
    if (draft.reply_of) {
      await em.query(
        `UPDATE messages SET is_answered = true WHERE tenant_id = $1 AND mailbox_id = $2 AND id = $3`,
        [row.tenant_id, row.mailbox_id, draft.reply_of],
      );
    }
    // Sent: no longer an editable draft.
    await em.query(`DELETE FROM message_drafts WHERE tenant_id = $1 AND message_id = $2`, [
      row.tenant_id,
      row.message_id,
    ]);
    return () => submitted.afterCommit();
  }

  /** A 4xx (policy, unknown recipient, too large) fails at once; anything else is retried with back-off. */
  private async failOne(em: EntityManager, row: Claimed, err: unknown, now: Date): Promise<Failure | null> {
    const message = err instanceof Error ? err.message : String(err);
    if (isLockConflict(err)) {
      // Another transaction held a row this send needed (deadlock victim): not the message's fault.
      await em.query(`UPDATE scheduled_sends SET last_error = $3 WHERE tenant_id = $1 AND id = $2`, [
        row.tenant_id,
        row.id,
        message,
      ]);
      return null;
    }
    const permanent = err instanceof AppError && err.status < 500 && err.status !== 429;
    const attempts = row.attempts + 1;
    if (!permanent && attempts < this.o.maxAttempts) {
      const backoffMs = Math.min(15 * 60_000, 5_000 * 2 ** (attempts - 1));
      this.d.logger.warn({ err, scheduledId: row.id, attempts }, 'scheduled send failed; will retry');
      await em.query(
        `UPDATE scheduled_sends SET attempts = $3, last_error = $4, next_attempt_at = $5, updated_at = $6
          WHERE tenant_id = $1 AND id = $2`,
        [row.tenant_id, row.id, attempts, message, new Date(now.getTime() + backoffMs), now],
      );
      return null;
    }
    this.d.logger.warn({ err, scheduledId: row.id, attempts }, 'scheduled send failed');
    await em.query(
      `UPDATE scheduled_sends SET status = 'failed', attempts = $3, last_error = $4, updated_at = $5
        WHERE tenant_id = $1 AND id = $2`,
      [row.tenant_id, row.id, attempts, message, now],
    );
    let subject = '';
    if (row.message_id) {
      await this.d.drafts.move(em, row.tenant_id, row.mailbox_id, row.message_id, 'drafts');
      const [m] = await em.query(`SELECT subject FROM messages WHERE tenant_id = $1 AND id = $2`, [
        row.tenant_id,
        row.message_id,
      ]);
      subject = m?.subject ?? '';
    }
    return { tenantId: row.tenant_id, memberId: row.member_id, subject, error: message };
  }

  private async notifyFailure(f: Failure): Promise<void> {
    if (!this.d.notifier || !f.memberId) return;
    await this.d.notifier
      .notify(f.tenantId, [f.memberId], {
        title: '邮件未能发送',
        body: `邮件「${f.subject || '(无主题)'}」未能发送，已退回草稿箱。原因：${f.error}`,
      })
      .catch((err) => this.d.logger.warn({ err, tenantId: f.tenantId }, 'send failure notice failed'));
  }
}

/** Deadlock, serialization failure or lock timeout: retry at once, without counting an attempt. */
function isLockConflict(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } } | null;
  const code = e?.driverError?.code ?? e?.code;
  return code === '40P01' || code === '40001' || code === '55P03';
}
