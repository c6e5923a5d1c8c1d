import type { EntityManager } from 'typeorm';
import type { DirectoryMember } from './directory-provider.port';
import { romanizeName } from './name-romanizer';

/** Set-based writes of synced members and departments (one statement per batch). */

function searchNames(displayName: string): { pinyin: string; initials: string } {
  const name = romanizeName(displayName);
  const units = name.familyFirst ? [...name.family, ...name.given] : [...name.given, ...name.family];
  return { pinyin: units.join(''), initials: units.map((u) => u[0]).join('') };
}

// Department ids travel as one string per member, split in SQL (cheaper than a jsonb array per row).
const SEP = '\u001f';

function memberColumns(rows: { id: string; m: DirectoryMember; email?: string }[]) {
  const names = rows.map(({ m }) => searchNames(m.displayName));
  const columns: unknown[] = [
    rows.map((r) => r.id),
    rows.map((r) => r.m.externalId),
    rows.map((r) => r.m.displayName),
    rows.map((r) => r.m.departmentIds.join(SEP)),
    rows.map((r) => r.m.title),
    rows.map((r) => r.m.jobNumber),
    rows.map((r) => r.m.directoryEmail),
    rows.map((r) => r.m.avatarUrl),
    rows.map((r) => r.m.isOrgAdmin),
    rows.map((r) => r.m.hiredAt),
    names.map((n) => n.pinyin),
    names.map((n) => n.initials),
  ];
  if (rows.some((r) => r.email !== undefined)) columns.push(rows.map((r) => r.email ?? null));
  return columns;
}

function memberValues(withEmail: boolean): string {
  return `unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                 $10::boolean[], $11::timestamptz[], $12::text[], $13::text[]${withEmail ? ', $14::text[]' : ''})
       AS v(id, external_id, display_name, departments, title, job_number, directory_email, avatar_url,
            is_org_admin, hired_at, name_pinyin, name_initials${withEmail ? ', email' : ''})`;
}

const DEPARTMENT_IDS = `string_to_array(v.departments, E'\\x1f')`;

export async function insertMembers(
  em: EntityManager,
  tenantId: string,
  rows: { id: string; m: DirectoryMember; email: string }[],
): Promise<void> {
  await em.query(
    `INSERT INTO members (tenant_id, id, source, external_id, display_name, department_ids, title, job_number,
                          directory_email, avatar_url, is_org_admin, hired_at, name_pinyin, name_initials, email, roles)
     SELECT $1, v.id, 'dingtalk', v.external_id, v.display_name, ${DEPARTMENT_IDS}, v.title, v.job_number,
            v.directory_email, v.avatar_url, v.is_org_admin, v.hired_at, v.name_pinyin, v.name_initials, v.email,
            CASE WHEN v.is_org_admin THEN '{employee,admin}'::text[] ELSE '{employee}'::text[] END
       FROM ${memberValues(true)}`,
    [tenantId, ...memberColumns(rows)],
  );
}

/** Only rows whose values really differ are written: an unchanged directory writes nothing. */
export async function updateMembers(
  em: EntityManager,
  tenantId: string,
  rows: { id: string; m: DirectoryMember }[],
): Promise<void> {
  if (rows.length === 0) return;
  await em.query(
    `UPDATE members m
        SET display_name = v.display_name, department_ids = ${DEPARTMENT_IDS}, title = v.title, job_number = v.job_number,
            directory_email = v.directory_email, avatar_url = v.avatar_url, is_org_admin = v.is_org_admin,
            hired_at = v.hired_at, name_pinyin = v.name_pinyin, name_initials = v.name_initials,
            roles = CASE WHEN v.is_org_admin THEN array(SELECT DISTINCT unnest(m.roles || '{admin}'::text[]))
                         ELSE array_remove(m.roles, 'admin') END,
            updated_at = now()
       FROM ${memberValues(false)}
      WHERE m.tenant_id = $1 AND m.id = v.id
        AND (m.display_name, m.department_ids, m.title, m.job_number, m.directory_email, m.avatar_url, m.is_org_admin, m.hired_at)
            IS DISTINCT FROM
            (v.display_name, ${DEPARTMENT_IDS}, v.title, v.job_number, v.directory_email, v.avatar_url, v.is_org_admin, v.hired_at)`,
    [tenantId, ...memberColumns(rows)],
  );
}

/** Recomputes every department's root-to-self path; only changed rows are written. */
export async function refreshDepartmentPaths(em: EntityManager, tenantId: string): Promise<void> {
  await em.query(
    `WITH RECURSIVE tree AS (
       SELECT external_id, ARRAY[external_id] AS path
         FROM departments
        WHERE tenant_id = $1 AND (parent_external_id IS NULL
              OR NOT EXISTS (SELECT 1 FROM departments p WHERE p.tenant_id = $1 AND p.external_id = departments.parent_external_id))
       UNION ALL
       SELECT c.external_id, t.path || c.external_id
         FROM departments c JOIN tree t ON c.parent_external_id = t.external_id
        WHERE c.tenant_id = $1 AND cardinality(t.path) < 64
     )
     UPDATE departments d SET path = tree.path
       FROM tree
      WHERE d.tenant_id = $1 AND d.external_id = tree.external_id AND d.path IS DISTINCT FROM tree.path`,
    [tenantId],
  );
}

/**
 * Gives mailboxes created earlier in the same, still uncommitted, transaction their final
 * addresses (a streaming sync decides them provisionally as people arrive, then in the stable
 * order once everyone is known). Nobody else has seen the provisional ones. The old address rows
 * go first, so two people can swap addresses.
 */
export async function reassignNewMailboxAddresses(
  em: EntityManager,
  tenantId: string,
  domainId: string,
  rows: { memberId: string; mailboxId: string; localPart: string; address: string }[],
): Promise<void> {
  if (rows.length === 0) return;
  const mailboxIds = rows.map((r) => r.mailboxId);
  await em.query(
    `DELETE FROM addresses WHERE tenant_id = $1 AND kind = 'mailbox' AND mailbox_id = ANY($2::uuid[])`,
    [tenantId, mailboxIds],
  );
  await em.query(
    `INSERT INTO addresses (tenant_id, domain_id, local_part, kind, mailbox_id)
     SELECT $1, $2, a.local_part, 'mailbox', a.mailbox_id FROM unnest($3::text[], $4::uuid[]) AS a(local_part, mailbox_id)`,
    [tenantId, domainId, rows.map((r) => r.localPart), mailboxIds],
  );
  await em.query(
    `UPDATE mailboxes b SET local_part = v.local_part
       FROM unnest($2::uuid[], $3::text[]) AS v(id, local_part)
      WHERE b.tenant_id = $1 AND b.id = v.id`,
    [tenantId, mailboxIds, rows.map((r) => r.localPart)],
  );
  await em.query(
    `UPDATE members m SET email = v.email
       FROM unnest($2::uuid[], $3::text[]) AS v(id, email)
      WHERE m.tenant_id = $1 AND m.id = v.id`,
    [tenantId, rows.map((r) => r.memberId), rows.map((r) => r.address)],
  );
}

/**
 * The creation entries of those people (written with their provisional address, in this same
 * transaction: created_at is the transaction's start) now name the final address.
 */
export async function readdressCreationAudit(
  em: EntityManager,
  tenantId: string,
  rows: { memberId: string; address: string }[],
): Promise<void> {
  if (rows.length === 0) return;
  await em.query(
    `UPDATE audit_log a SET details = jsonb_set(a.details, '{address}', to_jsonb(v.address))
       FROM unnest($2::text[], $3::text[]) AS v(target_id, address)
      WHERE a.tenant_id = $1 AND a.action = 'directory.member_created' AND a.created_at = now()
        AND a.target_id = v.target_id`,
    [tenantId, rows.map((r) => r.memberId), rows.map((r) => r.address)],
  );
}
