import type { DataSource, EntityManager } from 'typeorm';
import type { AdminMemberDto, AdminMemberQuery } from '../../../shared/directory/admin-members';
import { returning } from '../../platform/db/returning';
import { ConflictError, NotFoundError, ValidationError } from '../../platform/errors';
import type { Actor, RequestContext } from '../../platform/http/actor';
import type { AuditService } from '../admin';

interface Row {
  id: string;
  display_name: string;
  email: string | null;
  external_id: string | null;
  source: 'local' | 'dingtalk';
  title: string | null;
  roles: AdminMemberDto['roles'];
  status: AdminMemberDto['status'];
  admin_suspended_at: Date | null;
  admin_suspended_reason: string | null;
  department_ids: string[];
  last_login_at: Date | null;
  sort_key: string;
  mailbox_id: string | null;
  mailbox_status: AdminMemberDto['status'] | null;
  quota_bytes: string | null;
  used_bytes: string | null;
  purge_after: Date | null;
}

/**
 * The console's member list and the admin's actions on one member: search by name, pinyin,
 * initials or address within a department subtree; quota; suspending and restoring sign-in.
 * Every change is audited in the same transaction.
 */
export class AdminMembersService {
  constructor(
    private readonly ds: DataSource,
    private readonly audit: AuditService,
  ) {}

  async list(
    actor: Actor,
    q: AdminMemberQuery,
  ): Promise<{ members: AdminMemberDto[]; nextCursor: string | null }> {
    const cursor = q.cursor ? decodeCursor(q.cursor) : null;
    const text = q.q ? q.q.toLowerCase() : null;
    const rows: Row[] = await this.ds.query(
      `SELECT m.id, m.display_name, m.email, m.external_id, m.source, m.title, m.roles, m.status,
              m.admin_suspended_at, m.admin_suspended_reason, m.department_ids, m.last_login_at,
              lower(coalesce(nullif(m.name_pinyin, ''), m.display_name)) AS sort_key,
              b.id AS mailbox_id, b.status AS mailbox_status, b.quota_bytes, b.used_bytes, b.purge_after
         FROM members m
         LEFT JOIN LATERAL (
           SELECT * FROM mailboxes b WHERE b.tenant_id = m.tenant_id AND b.member_id = m.id
            ORDER BY (b.status <> 'purged') DESC, b.created_at DESC LIMIT 1
         ) b ON true
        WHERE m.tenant_id = $1
          AND ($2::text IS NULL
               OR strpos(lower(m.display_name), $2) > 0
               OR starts_with(replace(lower(coalesce(m.name_pinyin, '')), ' ', ''), replace($2, ' ', ''))
               OR starts_with(lower(coalesce(m.name_initials, '')), $2)
               OR starts_with(lower(coalesce(m.email, '')), $2)
               OR starts_with(lower(coalesce(m.username, '')), $2))
          AND ($3::text IS NULL OR m.department_ids && ARRAY(
                SELECT d.external_id FROM departments d WHERE d.tenant_id = $1 AND $3 = ANY(d.path)))
          AND (CASE $4::text
                 WHEN 'active' THEN m.status = 'active' AND m.admin_suspended_at IS NULL
                 WHEN 'departed' THEN m.status = 'suspended'
                 WHEN 'signin_suspended' THEN m.admin_suspended_at IS NOT NULL
                 WHEN 'purged' THEN m.status = 'purged'
                 ELSE m.status <> 'purged' END)
          AND ($5::text IS NULL
               OR (lower(coalesce(nullif(m.name_pinyin, ''), m.display_name)), m.id) > ($5, $6::uuid))
        ORDER BY sort_key, m.id
        LIMIT $7`,
      [
        actor.tenantId,
        text,
        q.department ?? null,
        q.status ?? null,
        cursor?.[0] ?? null,
        cursor?.[1] ?? null,
        q.limit + 1,
      ],
    );
    const more = rows.length > q.limit;
    const page = rows.slice(0, q.limit);
    const names = await this.departmentNames(actor.tenantId, [
      ...new Set(page.flatMap((r) => r.department_ids)),
    ]);
    const last = page[page.length - 1];
    return {
      members: page.map((r) => present(r, names)),
      nextCursor: more && last ? encodeCursor([last.sort_key, last.id]) : null,
    };
  }

  async get(actor: Actor, memberId: string): Promise<AdminMemberDto> {
    const rows: Row[] = await this.ds.query(
      `SELECT m.id, m.display_name, m.email, m.external_id, m.source, m.title, m.roles, m.status,
              m.admin_suspended_at, m.admin_suspended_reason, m.department_ids, m.last_login_at, '' AS sort_key,
              b.id AS mailbox_id, b.status AS mailbox_status, b.quota_bytes, b.used_bytes, b.purge_after
         FROM members m
         LEFT JOIN LATERAL (
           SELECT * FROM mailboxes b WHERE b.tenant_id = m.tenant_id AND b.member_id = m.id
            ORDER BY (b.status <> 'purged') DESC, b.created_at DESC LIMIT 1
         ) b ON true
        WHERE m.tenant_id = $1 AND m.id = $2`,
      [actor.tenantId, memberId],
    );
    if (!rows[0]) throw new NotFoundError('Member');
    return present(rows[0], await this.departmentNames(actor.tenantId, rows[0].department_ids));
  }

  async setQuota(
    actor: Actor,
    memberId: string,
    quotaBytes: number,
    ctx: RequestContext,
  ): Promise<AdminMemberDto> {
    await this.ds.transaction(async (em) => {
      const [box] = await returning<{ id: string; before: string }>(
        em,
        `UPDATE mailboxes b SET quota_bytes = $3, updated_at = now()
           FROM (SELECT id, quota_bytes FROM mailboxes WHERE tenant_id = $1 AND member_id = $2 AND status <> 'purged' FOR UPDATE) old
          WHERE b.tenant_id = $1 AND b.id = old.id
          RETURNING b.id, old.quota_bytes AS before`,
        [actor.tenantId, memberId, quotaBytes],
      );
      if (!box) throw new NotFoundError('Mailbox');
      await this.record(em, actor, 'mailbox.quota_changed', memberId, ctx, {
        mailboxId: box.id,
        before: Number(box.before),
        after: quotaBytes,
      });
    });
    return this.get(actor, memberId);
  }

  /** Blocks sign-in (tokens stop on the next request, app passwords too); mail keeps arriving. */
  async suspendSignIn(actor: Actor, memberId: string, reason: string | undefined, ctx: RequestContext) {
    if (memberId === actor.memberId) throw new ValidationError('You cannot suspend your own sign-in');
    await this.ds.transaction(async (em) => {
      const rows = await returning<{ id: string }>(
        em,
        `UPDATE members SET admin_suspended_at = now(), admin_suspended_reason = $3, updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND status <> 'purged' AND admin_suspended_at IS NULL RETURNING id`,
        [actor.tenantId, memberId, reason ?? null],
      );
      if (rows.length === 0) await this.explainNoChange(em, actor.tenantId, memberId, 'already suspended');
      await this.record(em, actor, 'member.signin_suspended', memberId, ctx, { reason: reason ?? null });
    });
    return this.get(actor, memberId);
  }

  async restoreSignIn(actor: Actor, memberId: string, ctx: RequestContext) {
    await this.ds.transaction(async (em) => {
      const rows = await returning<{ id: string }>(
        em,
        `UPDATE members SET admin_suspended_at = NULL, admin_suspended_reason = NULL, updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND admin_suspended_at IS NOT NULL RETURNING id`,
        [actor.tenantId, memberId],
      );
      if (rows.length === 0) await this.explainNoChange(em, actor.tenantId, memberId, 'not suspended');
      await this.record(em, actor, 'member.signin_restored', memberId, ctx, {});
    });
    return this.get(actor, memberId);
  }

  private async explainNoChange(em: EntityManager, tenantId: string, memberId: string, state: string) {
    const exists = await em.query(`SELECT 1 FROM members WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      memberId,
    ]);
    if (exists.length === 0) throw new NotFoundError('Member');
    throw new ConflictError(`Sign-in is ${state}`);
  }

  private record(
    em: EntityManager,
    actor: Actor,
    action: string,
    memberId: string,
    ctx: RequestContext,
    details: Record<string, unknown>,
  ) {
    return this.audit.record(em, {
      tenantId: actor.tenantId,
      actorType: 'member',
      actorId: actor.memberId,
      action,
      targetType: 'member',
      targetId: memberId,
      details,
      ctx,
    });
  }

  private async departmentNames(tenantId: string, externalIds: string[]): Promise<Map<string, string>> {
    if (externalIds.length === 0) return new Map();
    const rows: { external_id: string; name: string }[] = await this.ds.query(
      `SELECT external_id, name FROM departments WHERE tenant_id = $1 AND external_id = ANY($2)`,
      [tenantId, externalIds],
    );
    return new Map(rows.map((r) => [r.external_id, r.name]));
  }
}

function present(r: Row, departments: Map<string, string>): AdminMemberDto {
  return {
    id: r.id,
    displayName: r.display_name,
    email: r.email,
    externalId: r.external_id,
    source: r.source,
    title: r.title,
    roles: r.roles,
    status: r.status,
    signInSuspended: r.admin_suspended_at
      ? { at: r.admin_suspended_at.toISOString(), reason: r.admin_suspended_reason }
      : null,
    departments: r.department_ids
      .filter((id) => departments.has(id))
      .map((id) => ({ externalId: id, name: departments.get(id)! })),
    mailbox: r.mailbox_id
      ? {
          id: r.mailbox_id,
          status: r.mailbox_status!,
          quotaBytes: Number(r.quota_bytes),
          usedBytes: Number(r.used_bytes),
          purgeAfter: r.purge_after?.toISOString() ?? null,
        }
      : null,
    lastLoginAt: r.last_login_at?.toISOString() ?? null,
  };
}

function encodeCursor(key: [string, string]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(key) &&
      key.length === 2 &&
      typeof key[0] === 'string' &&
      typeof key[1] === 'string' &&
      /^[0-9a-f-]{36}$/i.test(key[1])
    ) {
      return [key[0], key[1]];
    }
  } catch {
    // falls through
  }
  throw new ValidationError('cursor: expected a cursor from a previous page');
}
