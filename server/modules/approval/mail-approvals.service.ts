import type { DataSource, EntityManager } from 'typeorm';
import type {
  ApprovalReason,
  ApprovalStatus,
  ListApprovalsQuery,
  MailApprovalDetailDto,
  MailApprovalDto,
  MailApprovalPage,
} from '../../../shared/approval/mail-approval';
import type { Clock } from '../../platform/clock';
import { returning } from '../../platform/db/returning';
import { ConflictError, ForbiddenError, NotFoundError } from '../../platform/errors';
import type { Actor, RequestContext } from '../../platform/http/actor';
import type { Logger } from '../../platform/logger';
import type { AuditService } from '../admin';
import { parseMessage, putBlob, sanitizeMailHtml, type ParsedMessage } from '../mail';
import type { OutgoingMailService, OutgoingMessage } from '../transport';
import { heldNotice, rejectedNotice } from './approval-notices';
import type { ApprovalPolicyService } from './approval-policy.service';

/** The label on the sender's Sent copy while the message waits, and after it was turned down. */
export const PENDING_LABEL = 'approval:pending';
export const REJECTED_LABEL = 'approval:rejected';

interface ApprovalRow {
  id: string;
  tenant_id: string;
  mailbox_id: string;
  sender_member_id: string | null;
  envelope_from: string;
  recipients: string[];
  blob_sha256: string;
  sent_message_id: string | null;
  message_id: string;
  subject: string;
  size: string;
  reasons: ApprovalReason[];
  status: ApprovalStatus;
  released: boolean;
  decided_by: string | null;
  decision_reason: string | null;
  expires_at: Date;
  decided_at: Date | null;
  created_at: Date;
  sender_name?: string | null;
  decided_by_name?: string | null;
}

const SELECT = `SELECT a.*, s.display_name AS sender_name, x.display_name AS decided_by_name
  FROM mail_approvals a
  LEFT JOIN members s ON s.tenant_id = a.tenant_id AND s.id = a.sender_member_id
  LEFT JOIN members x ON x.tenant_id = a.tenant_id AND x.id = a.decided_by`;

interface Decision {
  approve: boolean;
  status: ApprovalStatus;
  by: string | null;
  reason: string | null;
  ctx?: RequestContext;
}

export interface MailApprovalsDeps {
  ds: DataSource;
  clock: Clock;
  audit: AuditService;
  policy: ApprovalPolicyService;
  /** Declared after us in the wiring; only called while handling a request or a job. */
  outgoing: () => OutgoingMailService;
  logger: Logger;
}

/**
 * Outbound mail held for approval (邮件审核): holding it (from the outgoing pipeline), the queue,
 * approving (the message then goes through the normal submit path exactly once) and rejecting
 * (the sender is told why), and the timeout action for mail nobody decided on.
 */
export class MailApprovalsService {
  constructor(private readonly d: MailApprovalsDeps) {}

  /** The ApprovalGate half the outgoing pipeline calls inside its transaction. */
  async hold(
    em: EntityManager,
    input: {
      msg: OutgoingMessage;
      memberId: string | null;
      parsed: ParsedMessage;
      reasons: ApprovalReason[];
      sentMessageId: string | null;
      now: Date;
    },
  ): Promise<{ approvalId: string; afterCommit(): Promise<void> }> {
    const { msg, parsed, now } = input;
    const policy = await this.d.policy.forTenant(msg.tenantId, em);
    const expiresAt = new Date(now.getTime() + policy.timeoutHours * 3600_000);
    const blob = await putBlob(em, msg.tenantId, msg.raw);
    const [row]: { id: string }[] = await em.query(
      `INSERT INTO mail_approvals (tenant_id, mailbox_id, sender_member_id, envelope_from, recipients, blob_sha256,
                                   sent_message_id, message_id, subject, size, reasons, expires_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
      [
        msg.tenantId,
        msg.mailboxId,
        input.memberId,
        msg.envelopeFrom,
        [...new Set(msg.recipients.map((r) => r.trim().toLowerCase()).filter(Boolean))],
        blob,
        input.sentMessageId,
        parsed.messageId,
        parsed.subject,
        msg.raw.length,
        JSON.stringify(input.reasons),
        expiresAt,
        now,
      ],
    );
    await this.label(em, msg.tenantId, input.sentMessageId, PENDING_LABEL);
    await this.d.audit.record(em, {
      tenantId: msg.tenantId,
      actorType: 'member',
      actorId: input.memberId,
      action: 'mail_approval.held',
      targetType: 'mail_approval',
      targetId: row!.id,
      details: { subject: parsed.subject, recipients: msg.recipients.length, reasons: input.reasons },
    });
    const notice = await this.notify(em, msg.tenantId, msg.envelopeFrom, () =>
      heldNotice({
        to: msg.envelopeFrom,
        subject: parsed.subject,
        originalMessageId: parsed.messageId,
        now,
        reasons: input.reasons,
        expiresAt,
      }),
    );
    return { approvalId: row!.id, afterCommit: notice };
  }

  async list(actor: Actor, query: ListApprovalsQuery): Promise<MailApprovalPage> {
    await this.requireViewer(actor);
    const like = query.q ? `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
    const rows: ApprovalRow[] = await this.d.ds.query(
      `${SELECT}
        WHERE a.tenant_id = $1 AND ($2::text IS NULL OR a.status = $2)
          AND ($3::text IS NULL OR a.envelope_from ILIKE $3 OR a.subject ILIKE $3 OR s.display_name ILIKE $3)
        ORDER BY a.created_at DESC, a.id DESC LIMIT $4`,
      [actor.tenantId, query.status ?? null, like, query.limit],
    );
    const [{ pending }] = await this.d.ds.query(
      `SELECT count(*)::int AS pending FROM mail_approvals WHERE tenant_id = $1 AND status = 'pending'`,
      [actor.tenantId],
    );
    return { items: rows.map(present), pending };
  }

  /** One held message with a sanitized preview (remote images blocked, no scripts). */
  async get(actor: Actor, id: string): Promise<MailApprovalDetailDto> {
    await this.requireViewer(actor);
    const row = await this.find(this.d.ds.manager, actor.tenantId, id);
    const parsed = await parseMessage(await this.blob(this.d.ds.manager, row), { now: this.d.clock.now() });
    return {
      ...present(row),
      html: parsed.html
        ? sanitizeMailHtml(parsed.html, { allowRemoteImages: false, cidUrl: () => null }).html
        : null,
      text: parsed.text,
      attachments: parsed.attachments
        .filter((a) => a.disposition === 'attachment' || !a.isReferencedInline)
        .map((a) => ({ filename: a.filename, size: a.size, contentType: a.contentType })),
    };
  }

  /** Lets the message go: delivered and queued exactly once, however often this is called. */
  async approve(actor: Actor, id: string, reason: string | undefined, ctx: RequestContext) {
    await this.requireApprover(actor);
    const done = await this.settle(actor.tenantId, id, {
      approve: true,
      status: 'approved',
      by: actor.memberId,
      reason: reason ?? null,
      ctx,
    });
    return this.outcome(actor.tenantId, id, done, 'approved');
  }

  /** Turns the message down; the sender gets a notice with the reason. Nothing is sent. */
  async reject(actor: Actor, id: string, reason: string, ctx: RequestContext) {
    await this.requireApprover(actor);
    const done = await this.settle(actor.tenantId, id, {
      approve: false,
      status: 'rejected',
      by: actor.memberId,
      reason,
      ctx,
    });
    return this.outcome(actor.tenantId, id, done, 'rejected');
  }

  /** The timeout action for every message of the organization whose decision is overdue. */
  async expireDue(tenantId: string): Promise<{ expired: number; released: number; failed: number }> {
    const policy = await this.d.policy.forTenant(tenantId);
    const due: { id: string }[] = await this.d.ds.query(
      `SELECT id FROM mail_approvals WHERE tenant_id = $1 AND status = 'pending' AND expires_at <= $2
        ORDER BY expires_at LIMIT 1000`,
      [tenantId, this.d.clock.now()],
    );
    let expired = 0;
    let released = 0;
    let failed = 0;
    for (const { id } of due) {
      const approve = policy.timeoutAction === 'approve';
      try {
        const done = await this.settle(tenantId, id, {
          approve,
          status: 'expired',
          by: null,
          reason: 'timeout',
        });
        if (done) {
          expired++;
          if (approve) released++;
        }
      } catch (err) {
        // It can no longer be sent as it is (a recipient left, the policy changed): turn it down instead.
        this.d.logger.warn({ err, approvalId: id }, 'held message could not be released at its timeout');
        failed++;
        const reason = `timeout; the message could not be sent: ${(err as Error).message}`.slice(0, 500);
        if (await this.settle(tenantId, id, { approve: false, status: 'expired', by: null, reason }))
          expired++;
      }
    }
    return { expired, released, failed };
  }

  private async settle(tenantId: string, id: string, decision: Decision): Promise<ApprovalRow | null> {
    const now = this.d.clock.now();
    const result = await this.d.ds.transaction(async (em) => {
      // Conditional: of two clicks (or two replicas), one wins and the other finds nothing pending.
      const [row] = await returning<ApprovalRow>(
        em,
        `UPDATE mail_approvals SET status = $3, released = $4, decided_by = $5, decided_at = $6, decision_reason = $7
          WHERE tenant_id = $1 AND id = $2 AND status = 'pending' RETURNING *`,
        [tenantId, id, decision.status, decision.approve, decision.by, now, decision.reason],
      );
      if (!row) return null;
      let afterCommit: () => Promise<void>;
      if (decision.approve) {
        const pending = await this.d.outgoing().submitIn(em, {
          tenantId,
          mailboxId: row.mailbox_id,
          envelopeFrom: row.envelope_from,
          recipients: row.recipients,
          raw: await this.blob(em, row),
          kind: 'user',
          saveSentCopy: false,
          approved: true,
        });
        await this.label(em, tenantId, row.sent_message_id, null);
        afterCommit = () => pending.afterCommit();
      } else {
        await this.label(em, tenantId, row.sent_message_id, REJECTED_LABEL);
        afterCommit = await this.notify(em, tenantId, row.envelope_from, () =>
          rejectedNotice({
            to: row.envelope_from,
            subject: row.subject,
            originalMessageId: row.message_id,
            now,
            reason: decision.reason ?? '',
            timedOut: decision.status === 'expired',
          }),
        );
      }
      await this.d.audit.record(em, {
        tenantId,
        actorType: decision.by ? 'member' : 'system',
        actorId: decision.by,
        action: `mail_approval.${decision.status}`,
        targetType: 'mail_approval',
        targetId: id,
        details: {
          subject: row.subject,
          sender: row.envelope_from,
          released: decision.approve,
          reason: decision.reason,
        },
        ctx: decision.ctx,
      });
      return { row, afterCommit };
    });
    if (!result) return null;
    await result
      .afterCommit()
      .catch((err) => this.d.logger.error({ err }, 'after-commit of a decision failed'));
    return result.row;
  }

  private async outcome(
    tenantId: string,
    id: string,
    done: ApprovalRow | null,
    wanted: 'approved' | 'rejected',
  ): Promise<MailApprovalDto> {
    const row = await this.find(this.d.ds.manager, tenantId, id);
    // A repeated click with the same decision is answered with the result of the first.
    if (!done && row.status !== wanted)
      throw new ConflictError(`This message was already decided (${row.status})`, {
        details: { status: row.status },
      });
    return present(row);
  }

  private async find(em: EntityManager, tenantId: string, id: string): Promise<ApprovalRow> {
    const rows: ApprovalRow[] = await em.query(`${SELECT} WHERE a.tenant_id = $1 AND a.id = $2`, [
      tenantId,
      id,
    ]);
    if (!rows[0]) throw new NotFoundError('Held message');
    return rows[0];
  }

  private async blob(em: EntityManager, row: ApprovalRow): Promise<Buffer> {
    const rows: { content: Buffer }[] = await em.query(
      `SELECT content FROM mail_blobs WHERE tenant_id = $1 AND sha256 = $2`,
      [row.tenant_id, row.blob_sha256],
    );
    if (!rows[0]) throw new NotFoundError('Held message');
    return rows[0].content;
  }

  /** The Sent copy shows where the message stands: pending, turned down, or (no label) sent. */
  private async label(em: EntityManager, tenantId: string, messageId: string | null, label: string | null) {
    if (!messageId) return;
    await em.query(
      `UPDATE messages SET labels = array_remove(array_remove(labels, $3), $4) || coalesce(ARRAY[$5::text], '{}')
        WHERE tenant_id = $1 AND id = $2`,
      [tenantId, messageId, PENDING_LABEL, REJECTED_LABEL, label],
    );
  }

  /** A system notice to the sender, delivered in the same transaction; returns its after-commit. */
  private async notify(
    em: EntityManager,
    tenantId: string,
    to: string,
    build: () => Promise<Buffer>,
  ): Promise<() => Promise<void>> {
    if (!to) return async () => undefined;
    const pending = await this.d.outgoing().submitIn(em, {
      tenantId,
      mailboxId: null,
      envelopeFrom: '',
      recipients: [to],
      raw: await build(),
      kind: 'system',
    });
    return () => pending.afterCommit();
  }

  private async requireViewer(actor: Actor): Promise<void> {
    if (actor.roles.includes('auditor')) return;
    await this.requireApprover(actor);
  }

  private async requireApprover(actor: Actor): Promise<void> {
    if (!(await this.d.policy.isApprover(actor)))
      throw new ForbiddenError('Only admins and the appointed approvers decide on held mail');
  }
}

function present(r: ApprovalRow): MailApprovalDto {
  return {
    id: r.id,
    status: r.status,
    released: r.released,
    mailboxId: r.mailbox_id,
    senderAddress: r.envelope_from,
    senderName: r.sender_name ?? null,
    recipients: r.recipients,
    subject: r.subject,
    size: Number(r.size),
    reasons: r.reasons,
    createdAt: r.created_at.toISOString(),
    expiresAt: r.expires_at.toISOString(),
    decidedAt: r.decided_at?.toISOString() ?? null,
    decidedBy: r.decided_by,
    decidedByName: r.decided_by_name ?? null,
    decisionReason: r.decision_reason,
  };
}
