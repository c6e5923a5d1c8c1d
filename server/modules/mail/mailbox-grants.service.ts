import type { DataSource } from 'typeorm';
import type { AccessibleMailboxDto } from '../../../shared/mail/folders';
import type { CreateGrantBody, ListGrantsQuery, MailboxGrantDto } from '../../../shared/mail/grants';
import { returning } from '../../platform/db/returning';
import { NotFoundError, ValidationError } from '../../platform/errors';
import type { Actor, RequestContext } from '../../platform/http/actor';
import type { AuditService } from '../admin';

const GRANT_COLUMNS = `g.id, g.mailbox_id, b.local_part || '@' || d.name AS mailbox_address, g.member_id,
  m.display_name AS member_name, g.access, g.expires_at, g.created_at`;
const GRANT_JOINS = `JOIN mailboxes b ON b.tenant_id = g.tenant_id AND b.id = g.mailbox_id
  JOIN domains d ON d.tenant_id = b.tenant_id AND d.id = b.domain_id
  JOIN members m ON m.tenant_id = g.tenant_id AND m.id = g.member_id`;

interface GrantRow {
  id: string;
  mailbox_id: string;
  mailbox_address: string;
  member_id: string;
  member_name: string;
  access: 'read' | 'full';
  expires_at: Date | null;
  created_at: Date;
}

/** What an admin grants: member X may read (or fully manage) mailbox Y. Every change is audited. */
export class MailboxGrantsService {
  constructor(
    private readonly ds: DataSource,
    private readonly audit: AuditService,
  ) {}

  async list(actor: Actor, query: ListGrantsQuery): Promise<MailboxGrantDto[]> {
    const rows: GrantRow[] = await this.ds.query(
      `SELECT ${GRANT_COLUMNS} FROM mailbox_grants g ${GRANT_JOINS}
        WHERE g.tenant_id = $1 AND ($2::uuid IS NULL OR g.mailbox_id = $2) AND ($3::uuid IS NULL OR g.member_id = $3)
        ORDER BY g.created_at DESC, g.id LIMIT 1000`,
      [actor.tenantId, query.mailboxId ?? null, query.memberId ?? null],
    );
    return rows.map(presentGrant);
  }

  /** Creates the grant, or changes the access of an existing one for the same pair. */
  async grant(actor: Actor, body: CreateGrantBody, ctx: RequestContext): Promise<MailboxGrantDto> {
    return this.ds.transaction(async (em) => {
      const [mailbox] = await em.query(
        `SELECT member_id FROM mailboxes WHERE tenant_id = $1 AND id = $2 AND status <> 'purged'`,
        [actor.tenantId, body.mailboxId],
      );
      if (!mailbox) throw new NotFoundError('Mailbox');
      const [member]: { roles: string[] }[] = await em.query(
        `SELECT roles FROM members WHERE tenant_id = $1 AND id = $2`,
        [actor.tenantId, body.memberId],
      );
      if (!member) throw new NotFoundError('Member');
      const expiresAt = body.expiresAt ? new Date(body.expiresAt) : null;
      if (expiresAt && expiresAt.getTime() <= Date.now())
        throw new ValidationError('The access must end in the future', { details: { field: 'expiresAt' } });
      // An auditor reads, for a limited time, and every read is audited.
      if (member.roles.includes('auditor') && (body.access !== 'read' || !expiresAt))
        throw new ValidationError('An auditor gets read access with an end time (expiresAt)', {
          details: { field: 'expiresAt' },
        });
      if (mailbox.member_id === body.memberId) {
        throw new ValidationError('This member owns the mailbox already');
      }
      const [{ id }] = await em.query(
        `INSERT INTO mailbox_grants (tenant_id, mailbox_id, member_id, access, granted_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (tenant_id, mailbox_id, member_id) DO UPDATE SET access = excluded.access,
           granted_by = excluded.granted_by, expires_at = excluded.expires_at
         RETURNING id`,
        [actor.tenantId, body.mailboxId, body.memberId, body.access, actor.memberId, expiresAt],
      );
      await this.audit.record(em, {
        tenantId: actor.tenantId,
        actorType: 'member',
        actorId: actor.memberId,
        action: 'mailbox_grant.create',
        targetType: 'mailbox',
        targetId: body.mailboxId,
        details: {
          grantId: id,
          memberId: body.memberId,
          access: body.access,
          expiresAt: body.expiresAt ?? null,
        },
        ctx,
      });
      const [row]: GrantRow[] = await em.query(
        `SELECT ${GRANT_COLUMNS} FROM mailbox_grants g ${GRANT_JOINS} WHERE g.tenant_id = $1 AND g.id = $2`,
        [actor.tenantId, id],
      );
      return presentGrant(row!);
    });
  }

  async revoke(actor: Actor, id: string, ctx: RequestContext): Promise<void> {
    await this.ds.transaction(async (em) => {
      const [gone] = await returning<{ mailbox_id: string; member_id: string; access: string }>(
        em,
        `DELETE FROM mailbox_grants WHERE tenant_id = $1 AND id = $2 RETURNING mailbox_id, member_id, access`,
        [actor.tenantId, id],
      );
      if (!gone) throw new NotFoundError('Grant');
      await this.audit.record(em, {
        tenantId: actor.tenantId,
        actorType: 'member',
        actorId: actor.memberId,
        action: 'mailbox_grant.revoke',
        targetType: 'mailbox',
        targetId: gone.mailbox_id,
        details: { grantId: id, memberId: gone.member_id, access: gone.access },
        ctx,
      });
    });
  }

  /** The caller's own mailbox and every mailbox granted to them (employee side). */
  async accessible(actor: Actor): Promise<AccessibleMailboxDto[]> {
    const rows = await this.ds.query(
      `SELECT b.id, b.local_part || '@' || d.name AS address, o.display_name,
              CASE WHEN b.member_id = $2 THEN 'owner' ELSE g.access END AS access, b.used_bytes, b.quota_bytes
         FROM mailboxes b
         JOIN domains d ON d.tenant_id = b.tenant_id AND d.id = b.domain_id
         LEFT JOIN members o ON o.tenant_id = b.tenant_id AND o.id = b.member_id
         LEFT JOIN mailbox_grants g ON g.tenant_id = b.tenant_id AND g.mailbox_id = b.id AND g.member_id = $2
               AND (g.expires_at IS NULL OR g.expires_at > now())
        WHERE b.tenant_id = $1 AND b.status = 'active' AND (b.member_id = $2 OR g.id IS NOT NULL)
        ORDER BY (b.member_id = $2) DESC, address`,
      [actor.tenantId, actor.memberId],
    );
    return rows.map((r: Record<string, unknown>): AccessibleMailboxDto => ({
      id: r.id as string,
      address: r.address as string,
      displayName: (r.display_name as string | null) ?? null,
      access: r.access as AccessibleMailboxDto['access'],
      usedBytes: Number(r.used_bytes),
      quotaBytes: Number(r.quota_bytes),
    }));
  }
}

function presentGrant(r: GrantRow): MailboxGrantDto {
  return {
    id: r.id,
    mailboxId: r.mailbox_id,
    mailboxAddress: r.mailbox_address,
    memberId: r.member_id,
    memberName: r.member_name,
    access: r.access,
    expiresAt: r.expires_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
  };
}
