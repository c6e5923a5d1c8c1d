import type { DataSource, EntityManager } from 'typeorm';
import type { Role } from '../../../shared/auth';
import type { DepartmentNodeDto, GroupDetailDto } from '../../../shared/mailboxes/group-admin';
import type { GroupDto } from '../../../shared/mailboxes/groups';
import { ForbiddenError, NotFoundError } from '../../platform/errors';
import { hasRole, type Actor } from '../../platform/http/actor';
import { loadEntries, MEMBERS_OF_GROUP } from './group-sql';

/**
 * A group's own address: the oldest of its addresses (the one it was created with); later ones are
 * its aliases. Expects `g` in scope.
 */
export const GROUP_ADDRESS = `
  SELECT a.id, a.local_part || '@' || dm.name AS address
    FROM addresses a JOIN domains dm ON dm.tenant_id = a.tenant_id AND dm.id = a.domain_id
   WHERE a.tenant_id = g.tenant_id AND a.group_id = g.id
   ORDER BY a.created_at, a.id LIMIT 1`;

interface GroupRow {
  id: string;
  kind: GroupDto['kind'];
  name: string;
  address: string;
  address_id: string;
  department_external_id: string | null;
  include_subdepartments: boolean;
  send_policy: GroupDto['sendPolicy'];
  member_count: number;
}

const GROUP_COLUMNS = `g.id, g.kind, g.name, ga.address, ga.id AS address_id, g.department_external_id,
  g.include_subdepartments, g.send_policy, (SELECT count(*)::int FROM (${MEMBERS_OF_GROUP}) x) AS member_count`;

function present(r: GroupRow): GroupDto {
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    address: r.address,
    departmentExternalId: r.department_external_id,
    includeSubdepartments: r.include_subdepartments,
    sendPolicy: r.send_policy,
    memberCount: r.member_count,
  };
}

/** Reading groups and the department tree (admins and auditors); delivery uses `expand`. */
export class GroupsService {
  constructor(private readonly ds: DataSource) {}

  async list(actor: Actor, kind?: GroupDto['kind']): Promise<GroupDto[]> {
    requireRole(actor, 'admin', 'auditor');
    const rows: GroupRow[] = await this.ds.query(
      `SELECT ${GROUP_COLUMNS}
         FROM mail_groups g CROSS JOIN LATERAL (${GROUP_ADDRESS}) ga
        WHERE g.tenant_id = $1 AND ($2::text IS NULL OR g.kind = $2)
        ORDER BY g.name, g.id`,
      [actor.tenantId, kind ?? null],
    );
    return rows.map(present);
  }

  /** One group in full: counts, aliases, listed senders and (custom groups) its entries. */
  async detail(actor: Actor, groupId: string, em: EntityManager = this.ds.manager): Promise<GroupDetailDto> {
    requireRole(actor, 'admin', 'auditor');
    const [row]: (GroupRow & { direct_count: number })[] = await em.query(
      `SELECT ${GROUP_COLUMNS},
              CASE WHEN g.department_external_id IS NULL THEN NULL ELSE
                (SELECT count(*)::int FROM members m WHERE m.tenant_id = $1 AND m.status = 'active'
                    AND m.department_ids && ARRAY[g.department_external_id]) END AS direct_count
         FROM mail_groups g CROSS JOIN LATERAL (${GROUP_ADDRESS}) ga
        WHERE g.tenant_id = $1 AND g.id = $2`,
      [actor.tenantId, groupId],
    );
    if (!row) throw new NotFoundError('Group');
    const aliases: { id: string; address: string; created_at: Date }[] = await em.query(
      `SELECT a.id, a.local_part || '@' || dm.name AS address, a.created_at
         FROM addresses a JOIN domains dm ON dm.tenant_id = a.tenant_id AND dm.id = a.domain_id
        WHERE a.tenant_id = $1 AND a.group_id = $2 AND a.id <> $3
        ORDER BY a.created_at, a.id`,
      [actor.tenantId, groupId, row.address_id],
    );
    return {
      ...present(row),
      directMemberCount: row.direct_count ?? row.member_count,
      aliases: aliases.map((a) => ({ id: a.id, address: a.address, createdAt: a.created_at.toISOString() })),
      senders: await loadEntries(em, 'mail_group_senders', actor.tenantId, groupId),
      entries:
        row.kind === 'custom' ? await loadEntries(em, 'mail_group_members', actor.tenantId, groupId) : [],
    };
  }

  /**
   * Every department, flat (the console builds the tree), with member counts computed in one pass:
   * each active member counts once for their department and once for every department above it.
   */
  async departments(actor: Actor): Promise<DepartmentNodeDto[]> {
    requireRole(actor, 'admin', 'auditor');
    const rows: {
      external_id: string;
      parent_external_id: string | null;
      name: string;
      sort_order: string;
      direct: number;
      total: number;
      group_id: string | null;
      address: string | null;
    }[] = await this.ds.query(
      `WITH placed AS (
         SELECT DISTINCT m.id AS member_id, dep
           FROM members m CROSS JOIN unnest(m.department_ids) AS dep
          WHERE m.tenant_id = $1 AND m.status = 'active'),
       direct AS (SELECT dep, count(*)::int AS n FROM placed GROUP BY dep),
       total AS (
         SELECT up, count(DISTINCT p.member_id)::int AS n
           FROM placed p JOIN departments d ON d.tenant_id = $1 AND d.external_id = p.dep
           CROSS JOIN unnest(d.path) AS up
          GROUP BY up)
       SELECT d.external_id, d.parent_external_id, d.name, d.sort_order,
              coalesce(direct.n, 0) AS direct, coalesce(total.n, 0) AS total, g.id AS group_id, ga.address
         FROM departments d
         LEFT JOIN direct ON direct.dep = d.external_id
         LEFT JOIN total ON total.up = d.external_id
         LEFT JOIN mail_groups g ON g.tenant_id = d.tenant_id AND g.department_external_id = d.external_id
         LEFT JOIN LATERAL (${GROUP_ADDRESS}) ga ON true
        WHERE d.tenant_id = $1
        ORDER BY d.sort_order, d.name, d.external_id`,
      [actor.tenantId],
    );
    return rows.map((r) => ({
      id: r.external_id,
      parentId: r.parent_external_id,
      name: r.name,
      order: Number(r.sort_order),
      directMembers: r.direct,
      totalMembers: r.total,
      groupId: r.group_id,
      groupAddress: r.address,
    }));
  }

  /** The people a group reaches, one page at a time (keyset on member id). */
  async members(
    actor: Actor,
    groupId: string,
    page: { limit: number; cursor?: string },
  ): Promise<{
    members: { id: string; displayName: string; email: string | null; externalId: string | null }[];
    nextCursor: string | null;
  }> {
    requireRole(actor, 'admin', 'auditor');
    const rows = await this.expand(this.ds.manager, actor.tenantId, groupId, page);
    const more = rows.length > page.limit;
    const members = rows.slice(0, page.limit).map((r) => ({
      id: r.id,
      displayName: r.display_name,
      email: r.email,
      externalId: r.external_id,
    }));
    return { members, nextCursor: more ? members[members.length - 1]!.id : null };
  }

  /** Used by delivery too: the active members a group address reaches. */
  async expand(
    em: EntityManager,
    tenantId: string,
    groupId: string,
    page: { limit?: number; cursor?: string } = {},
  ): Promise<{ id: string; display_name: string; email: string | null; external_id: string | null }[]> {
    const [group] = await em.query(`SELECT 1 FROM mail_groups WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      groupId,
    ]);
    if (!group) throw new NotFoundError('Group');
    return em.query(
      `SELECT x.* FROM mail_groups g CROSS JOIN LATERAL (${MEMBERS_OF_GROUP}) x
        WHERE g.tenant_id = $1 AND g.id = $2 AND ($3::uuid IS NULL OR x.id > $3::uuid)
        ORDER BY x.id LIMIT $4`,
      [tenantId, groupId, page.cursor ?? null, page.limit === undefined ? null : page.limit + 1],
    );
  }
}

export function requireRole(actor: Actor, ...roles: Role[]): void {
  if (!hasRole(actor, ...roles)) throw new ForbiddenError();
}
