import type { EntityManager } from 'typeorm';
import type { GroupEntryDto, GroupEntryInput } from '../../../shared/mailboxes/group-admin';
import { ValidationError } from '../../platform/errors';

/**
 * Who a group reaches, as SQL over the tree (departments.path), computed at the moment of asking so
 * moves and re-parenting show at once with nothing to recompute. Expects `g` (a mail_groups row) and
 * `$1` (the tenant) in scope.
 * - department group: its department and, by default, every sub-department at any depth;
 * - custom group: the people listed, plus the departments listed (each with or without its subtree).
 * Only active members are reached.
 */
export const MEMBERS_OF_GROUP = `
  SELECT m.id, m.display_name, m.email, m.external_id
    FROM members m
   WHERE m.tenant_id = $1 AND m.status = 'active'
     AND (m.department_ids && (
            SELECT coalesce(array_agg(d.external_id), '{}') FROM departments d
              JOIN (SELECT g.department_external_id AS dept, g.include_subdepartments AS deep
                     WHERE g.department_external_id IS NOT NULL
                    UNION ALL
                    SELECT e.department_external_id, e.include_subdepartments FROM mail_group_members e
                     WHERE e.tenant_id = $1 AND e.group_id = g.id AND e.department_external_id IS NOT NULL) s
                ON CASE WHEN s.deep THEN d.path @> ARRAY[s.dept] ELSE d.external_id = s.dept END
             WHERE d.tenant_id = $1)
          OR m.id = ANY (ARRAY(SELECT e.member_id FROM mail_group_members e
                                WHERE e.tenant_id = $1 AND e.group_id = g.id AND e.member_id IS NOT NULL)))`;

/** The tables holding a group's people/department entries. */
export type EntryTable = 'mail_group_members' | 'mail_group_senders';

/** The entries of one group, with names (and addresses for people), people first. */
export async function loadEntries(
  em: EntityManager,
  table: EntryTable,
  tenantId: string,
  groupId: string,
): Promise<GroupEntryDto[]> {
  const rows: {
    member_id: string | null;
    department_external_id: string | null;
    include_subdepartments: boolean;
    name: string | null;
    address: string | null;
  }[] = await em.query(
    `SELECT e.member_id, e.department_external_id, e.include_subdepartments,
            coalesce(m.display_name, d.name) AS name, m.email AS address
       FROM ${table} e
       LEFT JOIN members m ON m.tenant_id = e.tenant_id AND m.id = e.member_id
       LEFT JOIN departments d ON d.tenant_id = e.tenant_id AND d.external_id = e.department_external_id
      WHERE e.tenant_id = $1 AND e.group_id = $2
      ORDER BY (e.member_id IS NULL), coalesce(m.display_name, d.name), e.id`,
    [tenantId, groupId],
  );
  return rows.map((r) =>
    r.member_id
      ? {
          kind: 'member',
          id: r.member_id,
          name: r.name ?? '',
          address: r.address,
          includeSubdepartments: false,
        }
      : {
          kind: 'department',
          id: r.department_external_id!,
          name: r.name ?? r.department_external_id!,
          address: null,
          includeSubdepartments: r.include_subdepartments,
        },
  );
}

/**
 * Replaces a group's entries. Every person and department must be the tenant's own: ids of
 * another organization are refused as unknown (400) without saying whether they exist elsewhere.
 */
export async function replaceEntries(
  em: EntityManager,
  table: EntryTable,
  tenantId: string,
  groupId: string,
  entries: GroupEntryInput[],
  field: 'entries' | 'senders',
): Promise<void> {
  const memberIds = [...new Set(entries.flatMap((e) => (e.kind === 'member' ? [e.memberId] : [])))];
  const depts = new Map<string, boolean>();
  for (const e of entries) if (e.kind === 'department') depts.set(e.departmentId, e.includeSubdepartments);
  const knownMembers: { id: string }[] = memberIds.length
    ? await em.query(`SELECT id FROM members WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [
        tenantId,
        memberIds,
      ])
    : [];
  const knownDepts: { external_id: string }[] = depts.size
    ? await em.query(`SELECT external_id FROM departments WHERE tenant_id = $1 AND external_id = ANY($2)`, [
        tenantId,
        [...depts.keys()],
      ])
    : [];
  const okMembers = new Set(knownMembers.map((r) => r.id));
  const okDepts = new Set(knownDepts.map((r) => r.external_id));
  const unknown = [
    ...memberIds.filter((id) => !okMembers.has(id)).map((id) => ({ kind: 'member', id })),
    ...[...depts.keys()].filter((id) => !okDepts.has(id)).map((id) => ({ kind: 'department', id })),
  ];
  if (unknown.length > 0) {
    throw new ValidationError(
      `Unknown people or departments in ${field}: ${unknown.map((u) => u.id).join(', ')}`,
      {
        details: { field, unknown },
      },
    );
  }
  await em.query(`DELETE FROM ${table} WHERE tenant_id = $1 AND group_id = $2`, [tenantId, groupId]);
  if (memberIds.length > 0) {
    await em.query(
      `INSERT INTO ${table} (tenant_id, group_id, member_id, include_subdepartments)
       SELECT $1, $2, x, false FROM unnest($3::uuid[]) AS x`,
      [tenantId, groupId, memberIds],
    );
  }
  if (depts.size > 0) {
    await em.query(
      `INSERT INTO ${table} (tenant_id, group_id, department_external_id, include_subdepartments)
       SELECT $1, $2, d, deep FROM unnest($3::text[], $4::bool[]) AS x(d, deep)`,
      [tenantId, groupId, [...depts.keys()], [...depts.values()]],
    );
  }
}
