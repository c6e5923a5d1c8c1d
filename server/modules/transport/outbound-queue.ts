import type { DataSource, EntityManager } from 'typeorm';
import type { OutboundItemDto, OutboundRecipientState } from '../../../shared/mail/outbound';
import { ConflictError, NotFoundError } from '../../platform/errors';
import { returning } from '../../platform/db/returning';
import type { Logger } from '../../platform/logger';
import { CLAIM_LOCK_CLASS, ClaimLiveness } from './claim-liveness';

/** Retries stop this long after the first attempt; the sender then gets a bounce. */
export const GIVE_UP_AFTER_MS = 5 * 86_400_000;
/** A claimed row is picked up again after this long (at once when its worker's liveness lock is gone). */
export const LEASE_MS = 5 * 60_000;
/** Waits between attempts: 1m, 5m, 15m, 1h, 2h, then every 4h. */
const BACKOFF_MS = [60_000, 300_000, 900_000, 3_600_000, 7_200_000, 14_400_000];

export function backoffMs(attempts: number): number {
  return BACKOFF_MS[Math.min(Math.max(attempts, 1), BACKOFF_MS.length) - 1]!;
}

export interface NewQueueItem {
  tenantId: string;
  mailboxId: string | null;
  kind: 'user' | 'auto' | 'system';
  envelopeFrom: string;
  domain: string;
  recipients: string[];
  blobSha256: string;
  dkimDomain: string | null;
  messageId: string | null;
  subject: string;
}

export interface QueueRow {
  tenant_id: string;
  id: string;
  mailbox_id: string | null;
  kind: 'user' | 'auto' | 'system';
  envelope_from: string;
  domain: string;
  recipients: OutboundRecipientState[];
  blob_sha256: string | null;
  dkim_domain: string | null;
  message_id: string | null;
  subject: string;
  status: 'queued' | 'sent' | 'failed' | 'captured';
  attempts: number;
  next_attempt_at: Date;
  claimed_by: number | null;
  last_error: string | null;
  via: string | null;
  created_at: Date;
  expires_at: Date;
  finished_at: Date | null;
}

/** The outbound queue table: a row per remote domain of a message; survives restarts. */
export class OutboundQueue {
  private readonly liveness: ClaimLiveness;

  constructor(
    private readonly ds: DataSource,
    logger?: Logger,
  ) {
    this.liveness = new ClaimLiveness((ds.options as { url?: string }).url, logger);
  }

  /** This process works the queue: hold the liveness lock its claims point at (see ClaimLiveness). */
  holdClaims(): Promise<boolean> {
    return this.liveness.ensure();
  }

  releaseClaims(): Promise<void> {
    return this.liveness.release();
  }

  async enqueue(em: EntityManager, items: NewQueueItem[], now: Date): Promise<string[]> {
    const ids: string[] = [];
    for (const it of items) {
      const recipients: OutboundRecipientState[] = it.recipients.map((address) => ({
        address,
        status: 'pending',
        code: null,
        response: null,
      }));
      const rows: { id: string }[] = await em.query(
        `INSERT INTO outbound_queue (tenant_id, mailbox_id, kind, envelope_from, domain, recipients, blob_sha256,
                                     dkim_domain, message_id, subject, next_attempt_at, created_at, expires_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $11) RETURNING id`,
        [
          it.tenantId,
          it.mailboxId,
          it.kind,
          it.envelopeFrom,
          it.domain,
          JSON.stringify(recipients),
          it.blobSha256,
          it.dkimDomain,
          it.messageId,
          it.subject.slice(0, 500),
          now,
          new Date(now.getTime() + GIVE_UP_AFTER_MS),
        ],
      );
      ids.push(rows[0]!.id);
    }
    return ids;
  }

  /**
   * Claims up to `limit` due rows (any tenant) for this worker: SKIP LOCKED, leased until reclaimed.
   * A row whose claimant's liveness lock is gone (the process died) is due again at once.
   */
  claim(now: Date, limit: number): Promise<QueueRow[]> {
    return returning<QueueRow>(
      this.ds,
      `WITH due AS (
         SELECT q.tenant_id, q.id FROM outbound_queue q
          WHERE q.status = 'queued' AND q.next_attempt_at <= $1
            AND (q.claimed_until IS NULL OR q.claimed_until < $1
                 OR (q.claimed_by IS NOT NULL AND NOT EXISTS (
                       SELECT 1 FROM pg_locks l
                        WHERE l.locktype = 'advisory' AND l.classid = $5::int::oid
                          AND l.objid = q.claimed_by::oid AND l.objsubid = 2 AND l.granted)))
          ORDER BY q.next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED
       )
       UPDATE outbound_queue q SET claimed_until = $3, claimed_by = $4, attempts = q.attempts + 1, updated_at = $1
         FROM due WHERE q.tenant_id = due.tenant_id AND q.id = due.id
       RETURNING q.*`,
      [now, limit, new Date(now.getTime() + LEASE_MS), this.liveness.claimant(), CLAIM_LOCK_CLASS],
    );
  }

  async blob(tenantId: string, sha256: string): Promise<Buffer> {
    const rows: { content: Buffer }[] = await this.ds.query(
      `SELECT content FROM mail_blobs WHERE tenant_id = $1 AND sha256 = $2`,
      [tenantId, sha256],
    );
    if (!rows[0]) throw new Error(`blob ${sha256} missing`);
    return rows[0].content;
  }

  /** Records an attempt: the recipients' states, and either the next attempt or the end. */
  async record(
    row: QueueRow,
    update: {
      recipients: OutboundRecipientState[];
      status: QueueRow['status'];
      nextAttemptAt: Date;
      lastError: string | null;
      via: string | null;
      now: Date;
      dsnSent?: boolean;
    },
  ): Promise<void> {
    await this.ds.query(
      `UPDATE outbound_queue SET recipients = $3, status = $4, next_attempt_at = $5, last_error = $6, via = $7,
              claimed_until = NULL, claimed_by = NULL, updated_at = $8, finished_at = CASE WHEN $4 = 'queued' THEN NULL ELSE $8::timestamptz END,
              dsn_sent = dsn_sent OR $9,
              -- delivered: the queue no longer holds on to the blob (a failed row keeps it for a retry)
              blob_sha256 = CASE WHEN $4 IN ('sent', 'captured') THEN NULL ELSE blob_sha256 END
        WHERE tenant_id = $1 AND id = $2`,
      [
        row.tenant_id,
        row.id,
        JSON.stringify(update.recipients),
        update.status,
        update.nextAttemptAt,
        update.lastError?.slice(0, 2000) ?? null,
        update.via,
        update.now,
        update.dsnSent ?? false,
      ],
    );
  }

  /** Deletes finished rows older than `before` (the queue is a log for a while, not forever). */
  async prune(before: Date): Promise<number> {
    const rows = await returning<{ id: string }>(
      this.ds,
      `DELETE FROM outbound_queue WHERE status <> 'queued' AND finished_at < $1 RETURNING id`,
      [before],
    );
    return rows.length;
  }

  async list(
    tenantId: string,
    query: { status?: QueueRow['status']; limit: number },
  ): Promise<OutboundItemDto[]> {
    const rows: QueueRow[] = await this.ds.query(
      `SELECT * FROM outbound_queue WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2)
        ORDER BY created_at DESC, id DESC LIMIT $3`,
      [tenantId, query.status ?? null, query.limit],
    );
    return rows.map(presentQueueRow);
  }

  /** Sends again now: a queued row at once, a failed one with its failed recipients, for 5 more days. */
  async retry(tenantId: string, id: string, now: Date): Promise<OutboundItemDto> {
    return this.ds.transaction(async (em) => {
      const rows: QueueRow[] = await em.query(
        `SELECT * FROM outbound_queue WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
        [tenantId, id],
      );
      const row = rows[0];
      if (!row) throw new NotFoundError('Queued message');
      if (row.status === 'sent' || row.status === 'captured')
        throw new ConflictError('This message was already delivered; there is nothing to retry');
      const recipients = row.recipients.map((r) =>
        r.status === 'failed' ? { ...r, status: 'pending' as const } : r,
      );
      const [updated] = await returning<QueueRow>(
        em,
        `UPDATE outbound_queue SET status = 'queued', recipients = $3, next_attempt_at = $4, claimed_until = NULL, claimed_by = NULL,
                expires_at = greatest(expires_at, $5), finished_at = NULL, updated_at = $4
          WHERE tenant_id = $1 AND id = $2 RETURNING *`,
        [tenantId, id, JSON.stringify(recipients), now, new Date(now.getTime() + GIVE_UP_AFTER_MS)],
      );
      return presentQueueRow(updated!);
    });
  }
}

export function presentQueueRow(r: QueueRow): OutboundItemDto {
  return {
    id: r.id,
    status: r.status,
    envelopeFrom: r.envelope_from,
    domain: r.domain,
    subject: r.subject,
    recipients: r.recipients,
    attempts: r.attempts,
    lastError: r.last_error,
    nextAttemptAt: r.status === 'queued' ? new Date(r.next_attempt_at).toISOString() : null,
    via: r.via,
    createdAt: new Date(r.created_at).toISOString(),
    finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
  };
}
