import type { DataSource, EntityManager } from 'typeorm';
import type { GroupDto } from '../../../shared/mailboxes/groups';
import { NotFoundError } from '../../platform/errors';
import type { Actor } from '../../platform/http/actor';

/**
 * Who a department group reaches: the department's active members and, by default, those of
 * every sub-department at any depth. Computed from the tree (departments.path) at the moment of
 * asking, so moves and re-parenting are reflected at once, with nothing to recompute.
 */
const MEMBERS_OF_GROUP = `
  SELECT m.id, m.display_name, m.email, m.external_id
    FROM members m
   WHERE m.tenant_id = $1 AND m.status = 'active'
     AND m.department_ids && (
       SELECT coalesce(array_agg(d.external_id), '{}') FROM departments d
        WHERE d.tenant_id = $1
          AND CASE WHEN g.include_subdepartments THEN d.path @> ARRAY[g.department_external_id]
                   ELSE d.external_id = g.department_external_id END)`;

export class GroupsService {
  constructor(private readonly ds: DataSource) {}

  async list(actor: Actor): Promise<GroupDto[]> {
    const rows = await this.ds.query(
      `SELECT g.id, g.kind, g.name, a.local_part || '@' || dm.name AS address, g.department_external_id,
              g.include_subdepartments, g.send_policy,
              (SELECT count(*)::int FROM (${MEMBERS_OF_GROUP}) x) AS member_count
         FROM mail_groups g
         JOIN addresses a ON a.tenant_id = g.tenant_id AND a.group_id = g.id
         JOIN domains dm ON dm.tenant_id = a.tenant_id AND dm.id = a.domain_id
        WHERE g.tenant_id = $1
        ORDER BY g.name`,
      [actor.tenantId],
    );
    return rows.map((r: Record<string, unknown>): GroupDto => ({
      id: r.id as string,
      kind: r.kind as GroupDto['kind'],
      name: r.name as string,
      address: r.address as string,
      departmentExternalId: r.department_external_id as string | null,
      includeSubdepartments: r.include_subdepartments as boolean,
      sendPolicy: r.send_policy as GroupDto['sendPolicy'],
      memberCount: r.member_count as number,
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
    const rows = await this.expand(this.ds.manager, actor.tenantId, groupId, page);
    const more = rows.length > page.limit;
    const members = rows.slice(0, page.limit).map((r) => ({
      id: r.id,
      displayName: r.display_name,
      email: r.email,
      externalId: r.external_id,
    }));
    return { members, nextCursor: more ? members[members.length - 1].id : null };
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
