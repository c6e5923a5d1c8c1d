import type { EntityManager } from 'typeorm';
import { MEMBERS_OF_GROUP } from '../mailboxes/group-sql';

/**
 * Directory facts the rule engine's context needs (who sent it, which groups the recipient is
 * in), each fetched set-based for many addresses or mailboxes at once.
 */

export interface SenderFacts {
  /** The address is one of this organization's mailboxes or aliases. */
  known: boolean;
  /** Root-to-department external id chains, one per department of the sender. */
  departmentPaths: string[][];
}

/** `zhangsan+tag@Example.com` → `zhangsan@example.com`, like the recipient resolver. */
export function canonicalAddress(address: string): string {
  const a = address.trim().toLowerCase();
  const at = a.lastIndexOf('@');
  if (at <= 0) return a;
  return `${a.slice(0, at).split('+')[0]}@${a.slice(at + 1).replace(/\.$/, '')}`;
}

export async function senderFacts(
  em: EntityManager,
  tenantId: string,
  addresses: string[],
): Promise<Map<string, SenderFacts>> {
  const wanted = [...new Set(addresses.map(canonicalAddress).filter((a) => a.includes('@')))];
  const out = new Map<string, SenderFacts>();
  if (wanted.length === 0) return out;
  const rows: { address: string; paths: string[][] | null }[] = await em.query(
    `SELECT w.address,
            (SELECT jsonb_agg(d.path) FROM departments d
              WHERE d.tenant_id = $1 AND d.external_id = ANY (m.department_ids)) AS paths
       FROM unnest($2::text[]) AS w(address)
       JOIN domains dm ON dm.tenant_id = $1 AND dm.name = split_part(w.address, '@', 2)
       JOIN addresses a ON a.tenant_id = $1 AND a.domain_id = dm.id AND a.local_part = split_part(w.address, '@', 1)
       JOIN mailboxes b ON b.tenant_id = $1 AND b.id = a.mailbox_id AND b.status <> 'purged'
       LEFT JOIN members m ON m.tenant_id = $1 AND m.id = b.member_id`,
    [tenantId, wanted],
  );
  for (const r of rows) out.set(r.address, { known: true, departmentPaths: r.paths ?? [] });
  return out;
}

/** Department-group membership test, as in GroupsService (department plus, by default, its subtree). */
/** The member `m` is reached by the group `g` (department groups and custom groups alike). */
const IN_GROUP = `EXISTS (SELECT 1 FROM (${MEMBERS_OF_GROUP}) reached WHERE reached.id = m.id)`;

/**
 * For each mailbox, the group addresses among `recipientAddresses` (the message's To and Cc) whose
 * group reaches the mailbox's owner: "sent to a group I am in".
 */
export async function groupAddressesReaching(
  em: EntityManager,
  tenantId: string,
  recipientAddresses: string[],
  mailboxIds: string[],
): Promise<Map<string, string[]>> {
  const wanted = [...new Set(recipientAddresses.map(canonicalAddress).filter((a) => a.includes('@')))];
  const out = new Map<string, string[]>();
  if (wanted.length === 0 || mailboxIds.length === 0) return out;
  const rows: { address: string; mailbox_id: string }[] = await em.query(
    `SELECT w.address, b.id AS mailbox_id
       FROM unnest($2::text[]) AS w(address)
       JOIN domains dm ON dm.tenant_id = $1 AND dm.name = split_part(w.address, '@', 2)
       JOIN addresses a ON a.tenant_id = $1 AND a.domain_id = dm.id AND a.local_part = split_part(w.address, '@', 1)
                       AND a.kind = 'group'
       JOIN mail_groups g ON g.tenant_id = $1 AND g.id = a.group_id
       JOIN mailboxes b ON b.tenant_id = $1 AND b.id = ANY ($3::uuid[])
       JOIN members m ON m.tenant_id = $1 AND m.id = b.member_id AND m.status = 'active'
      WHERE ${IN_GROUP}`,
    [tenantId, wanted, mailboxIds],
  );
  for (const r of rows) out.set(r.mailbox_id, [...(out.get(r.mailbox_id) ?? []), r.address]);
  return out;
}

/** Every group address that reaches this mailbox's owner (preview and apply look at old mail). */
export async function groupAddressesOfMailbox(
  em: EntityManager,
  tenantId: string,
  mailboxId: string,
): Promise<string[]> {
  const rows: { address: string }[] = await em.query(
    `SELECT a.local_part || '@' || dm.name AS address
       FROM mailboxes b
       JOIN members m ON m.tenant_id = b.tenant_id AND m.id = b.member_id
       JOIN mail_groups g ON g.tenant_id = b.tenant_id
       JOIN addresses a ON a.tenant_id = g.tenant_id AND a.group_id = g.id
       JOIN domains dm ON dm.tenant_id = a.tenant_id AND dm.id = a.domain_id
      WHERE b.tenant_id = $1 AND b.id = $2 AND ${IN_GROUP}`,
    [tenantId, mailboxId],
  );
  return rows.map((r) => r.address);
}

export interface FolderRef {
  id: string;
  mailbox_id: string;
  name: string;
  role: string | null;
}

/**
 * Resolves `move_to_folder` targets for mailboxes: a folder id (must belong to that mailbox),
 * `role:<role>` or `name:<name>` (top-level, case-insensitive). Unknown → absent from the map.
 */
export async function resolveFolderTargets(
  em: EntityManager,
  tenantId: string,
  wants: { mailboxId: string; target: string }[],
): Promise<Map<string, FolderRef>> {
  const out = new Map<string, FolderRef>();
  if (wants.length === 0) return out;
  const rows: (FolderRef & { key: string })[] = await em.query(
    `SELECT w.mailbox_id || '|' || w.target AS key, f.id, f.mailbox_id, f.name, f.role
       FROM unnest($2::uuid[], $3::text[]) AS w(mailbox_id, target)
       JOIN folders f ON f.tenant_id = $1 AND f.mailbox_id = w.mailbox_id
        AND CASE
              WHEN w.target LIKE 'role:%' THEN f.role = substr(w.target, 6)
              WHEN w.target LIKE 'name:%' THEN f.parent_id IS NULL AND lower(f.name) = lower(substr(w.target, 6))
              WHEN w.target ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN f.id = w.target::uuid
              ELSE false
            END`,
    [tenantId, wants.map((w) => w.mailboxId), wants.map((w) => w.target)],
  );
  for (const r of rows) out.set(r.key, { id: r.id, mailbox_id: r.mailbox_id, name: r.name, role: r.role });
  return out;
}

export function folderKey(mailboxId: string, target: string): string {
  return `${mailboxId}|${target}`;
}
