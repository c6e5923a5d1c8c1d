import type { DataSource, EntityManager } from 'typeorm';
import type { QuarantinePage, QuarantineQuery } from '../../../shared/antispam/quarantine';
import { NotFoundError } from '../../platform/errors';
import type { Actor, RequestContext } from '../../platform/http/actor';
import type { AuditService } from '../admin';
import { purgeMessages } from '../mail';

interface Row {
  id: string;
  mailbox_id: string;
  recipient: string;
  from_name: string | null;
  from_address: string | null;
  subject: string;
  snippet: string;
  size: string;
  received_at: Date;
}

/**
 * Quarantine review: the messages in every mailbox's Junk folder (where the spam verdict puts
 * them), newest first; an admin releases one to its recipient's Inbox or deletes it. Audited.
 */
export class QuarantineService {
  constructor(private readonly d: { ds: DataSource; audit: AuditService }) {}

  async list(actor: Actor, q: QuarantineQuery): Promise<QuarantinePage> {
    const like = q.recipient ? `%${q.recipient.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
    // Per Junk folder, its newest messages through the (tenant, mailbox, folder, received_at) index.
    const rows: Row[] = await this.d.ds.query(
      `SELECT m.id, m.mailbox_id, b.local_part || '@' || d.name AS recipient, m.from_name, m.from_address,
              m.subject, m.snippet, m.size, m.received_at
         FROM folders f
         JOIN mailboxes b ON b.tenant_id = f.tenant_id AND b.id = f.mailbox_id AND b.status <> 'purged'
         JOIN domains d ON d.tenant_id = b.tenant_id AND d.id = b.domain_id
         CROSS JOIN LATERAL (
           SELECT * FROM messages m WHERE m.tenant_id = f.tenant_id AND m.mailbox_id = f.mailbox_id AND m.folder_id = f.id
            ORDER BY m.received_at DESC, m.id DESC LIMIT $3) m
        WHERE f.tenant_id = $1 AND f.role = 'junk'
          AND ($2::text IS NULL OR (b.local_part || '@' || d.name) LIKE $2)
        ORDER BY m.received_at DESC, m.id DESC
        LIMIT $3`,
      [actor.tenantId, like, q.limit],
    );
    return {
      items: rows.map((r) => ({
        id: r.id,
        mailboxId: r.mailbox_id,
        recipient: r.recipient,
        fromName: r.from_name,
        fromAddress: r.from_address,
        subject: r.subject,
        snippet: r.snippet,
        size: Number(r.size),
        receivedAt: r.received_at.toISOString(),
      })),
    };
  }

  /** Moves the message to its recipient's Inbox. */
  async release(actor: Actor, id: string, ctx: RequestContext) {
    return this.d.ds.transaction(async (em) => {
      const row = await this.find(em, actor.tenantId, id);
      await em.query(
        `UPDATE messages m SET folder_id = f.id, is_seen = false FROM folders f
          WHERE m.tenant_id = $1 AND m.id = $2 AND f.tenant_id = m.tenant_id AND f.mailbox_id = m.mailbox_id AND f.role = 'inbox'`,
        [actor.tenantId, id],
      );
      await this.record(em, actor, 'quarantine.released', row, ctx);
      return { id, mailboxId: row.mailbox_id, folder: 'inbox' as const };
    });
  }

  /** Deletes the message for good (its blob too when nothing else holds it). */
  async remove(actor: Actor, id: string, ctx: RequestContext): Promise<void> {
    await this.d.ds.transaction(async (em) => {
      const row = await this.find(em, actor.tenantId, id);
      await purgeMessages(
        em,
        { tenantId: actor.tenantId, mailboxId: row.mailbox_id, memberId: actor.memberId, grant: 'owner' },
        'm.id = $3',
        [id],
      );
      await this.record(em, actor, 'quarantine.deleted', row, ctx);
    });
  }

  /** A message of this organization that is in a Junk folder; 404 otherwise. */
  private async find(em: EntityManager, tenantId: string, id: string) {
    const [row]: { mailbox_id: string; subject: string; from_address: string | null }[] = await em.query(
      `SELECT m.mailbox_id, m.subject, m.from_address FROM messages m
         JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id AND f.role = 'junk'
        WHERE m.tenant_id = $1 AND m.id = $2 FOR UPDATE OF m`,
      [tenantId, id],
    );
    if (!row) throw new NotFoundError('Quarantined message');
    return row;
  }

  private record(
    em: EntityManager,
    actor: Actor,
    action: string,
    row: { mailbox_id: string; subject: string; from_address: string | null },
    ctx: RequestContext,
  ) {
    return this.d.audit.record(em, {
      tenantId: actor.tenantId,
      actorType: 'member',
      actorId: actor.memberId,
      action,
      targetType: 'mailbox',
      targetId: row.mailbox_id,
      details: { subject: row.subject, from: row.from_address },
      ctx,
    });
  }
}
