import type { DataSource } from 'typeorm';
import type { OutboundRecipientState } from '../../../shared/mail/outbound';
import type { Clock } from '../../platform/clock';
import { returning } from '../../platform/db/returning';
import { ConflictError, NotFoundError } from '../../platform/errors';
import type { Actor, RequestContext } from '../../platform/http/actor';
import type { Logger } from '../../platform/logger';
import type { AuditService } from '../admin';
import { buildDsn, type OutgoingMailService } from '../transport';

const REASON = 'cancelled by an administrator';

interface Row {
  id: string;
  tenant_id: string;
  envelope_from: string;
  recipients: OutboundRecipientState[];
  blob_sha256: string | null;
  message_id: string | null;
  subject: string;
  domain: string;
  created_at: Date;
}

/**
 * An admin cancels a queued outbound message: its pending recipients fail, and the sender gets a
 * bounce (a DSN, like a delivery that gave up) — in the same transaction, audited. A row a worker
 * is sending right now cannot be cancelled (409); try again in a moment.
 */
export class OutboundCancelService {
  constructor(
    private readonly d: {
      ds: DataSource;
      clock: Clock;
      audit: AuditService;
      outgoing: () => OutgoingMailService;
      hostname: string;
      logger: Logger;
    },
  ) {}

  async cancel(actor: Actor, id: string, ctx: RequestContext): Promise<{ id: string; bounced: boolean }> {
    const now = this.d.clock.now();
    const pending = await this.d.ds.transaction(async (em) => {
      const [current]: { status: string; leased: boolean }[] = await em.query(
        `SELECT status, coalesce(claimed_until > $3, false) AS leased FROM outbound_queue
          WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
        [actor.tenantId, id, now],
      );
      if (!current) throw new NotFoundError('Queued message');
      if (current.status !== 'queued') throw new ConflictError(`This message is already ${current.status}`);
      if (current.leased)
        throw new ConflictError('This message is being sent right now; try again in a moment');
      const [row] = await returning<Row>(
        em,
        `UPDATE outbound_queue SET status = 'failed', last_error = $3, finished_at = $4, updated_at = $4, dsn_sent = true,
                recipients = (SELECT jsonb_agg(CASE WHEN r->>'status' = 'pending'
                                  THEN r || jsonb_build_object('status', 'failed', 'code', NULL, 'response', $3::text)
                                  ELSE r END) FROM jsonb_array_elements(recipients) r)
          WHERE tenant_id = $1 AND id = $2 RETURNING *`,
        [actor.tenantId, id, REASON, now],
      );
      const failed = row!.recipients.filter((r) => r.response === REASON);
      let afterCommit = async () => undefined as void;
      let bounced = false;
      if (row!.envelope_from && row!.blob_sha256 && failed.length > 0) {
        const [blob]: { content: Buffer }[] = await em.query(
          `SELECT content FROM mail_blobs WHERE tenant_id = $1 AND sha256 = $2`,
          [actor.tenantId, row!.blob_sha256],
        );
        const dsn = await buildDsn({
          to: row!.envelope_from,
          reportingMta: this.d.hostname,
          arrivalDate: row!.created_at,
          now,
          failed: failed.map((f) => ({ address: f.address, code: 550, response: `550 5.7.1 ${REASON}` })),
          original: blob?.content ?? Buffer.from(`Subject: ${row!.subject}\r\n\r\n`),
          originalMessageId: row!.message_id,
        });
        const sent = await this.d.outgoing().submitIn(em, {
          tenantId: actor.tenantId,
          mailboxId: null,
          envelopeFrom: '',
          recipients: [row!.envelope_from],
          raw: dsn,
          kind: 'system',
        });
        afterCommit = () => sent.afterCommit();
        bounced = true;
      }
      await this.d.audit.record(em, {
        tenantId: actor.tenantId,
        actorType: 'member',
        actorId: actor.memberId,
        action: 'outbound.cancelled',
        targetType: 'outbound_queue',
        targetId: id,
        details: {
          subject: row!.subject,
          domain: row!.domain,
          sender: row!.envelope_from,
          recipients: failed.map((f) => f.address),
          bounced,
        },
        ctx,
      });
      return { afterCommit, bounced };
    });
    await pending
      .afterCommit()
      .catch((err) => this.d.logger.error({ err }, 'cancel bounce after-commit failed'));
    return { id, bounced: pending.bounced };
  }
}
