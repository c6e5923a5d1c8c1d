import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { returning } from '../../platform/db/returning';
import { NotFoundError } from '../../platform/errors';

/** Default mailbox quota: 5 GiB. */
export const DEFAULT_QUOTA_BYTES = 5 * 1024 ** 3;

/** The primary domain and every local part already in use on it (mailboxes, aliases, groups). */
export interface AddressNamespace {
  domainId: string;
  domain: string;
  /** All the tenant's domains; the org_email template honours only these. */
  domains: string[];
  taken: Set<string>;
}

export interface ProvisionedMailbox {
  memberId: string;
  mailboxId: string;
  localPart: string;
  address: string;
}

/**
 * Mailboxes, department groups and the address namespace they share. Every method works inside
 * the caller's transaction and writes with set-based SQL: a first sync provisions 100k mailboxes.
 */
export class MailboxProvisioning {
  /** Loads every local part in use on the tenant's primary domain. */
  async loadNamespace(
    em: EntityManager,
    tenantId: string,
    /**
     * For a handful of newcomers (an event), only the local parts that could collide with theirs
     * are loaded (those starting with one of these prefixes, plus every group address) instead of
     * the whole namespace of a 100k-person company. The unique index remains the backstop.
     */
    prefixesFor?: (domains: string[]) => string[],
  ): Promise<AddressNamespace> {
    const domains: { id: string; name: string; is_primary: boolean }[] = await em.query(
      `SELECT id, name, is_primary FROM domains WHERE tenant_id = $1`,
      [tenantId],
    );
    const primary = domains.find((d) => d.is_primary);
    if (!primary) throw new NotFoundError('Primary mail domain');
    const prefixes = prefixesFor?.(domains.map((d) => d.name));
    const rows: { local_part: string }[] = prefixes
      ? await em.query(
          `SELECT local_part FROM addresses
            WHERE tenant_id = $1 AND domain_id = $2 AND (kind = 'group' OR local_part LIKE ANY($3))`,
          [tenantId, primary.id, prefixes.map((p) => p.replace(/[\\%_]/g, (c) => '\\' + c) + '%')],
        )
      : await em.query(`SELECT local_part FROM addresses WHERE tenant_id = $1 AND domain_id = $2`, [
          tenantId,
          primary.id,
        ]);
    return {
      domainId: primary.id,
      domain: primary.name,
      domains: domains.map((d) => d.name),
      taken: new Set(rows.map((r) => r.local_part)),
    };
  }

  /**
   * Inserts mailboxes and their addresses (already allocated). `recordOnMember`: also write the
   * address onto the member row (new members get it when they are inserted).
   */
  async insertMailboxes(
    em: EntityManager,
    tenantId: string,
    ns: AddressNamespace,
    boxes: ProvisionedMailbox[],
    recordOnMember = true,
  ): Promise<void> {
    if (boxes.length === 0) return;
    await em.query(
      `INSERT INTO mailboxes (tenant_id, id, member_id, domain_id, local_part, quota_bytes)
       SELECT $1, b.id, b.member_id, $2, b.local_part, $5 FROM unnest($3::uuid[], $4::uuid[], $6::text[]) AS b(id, member_id, local_part)`,
      [
        tenantId,
        ns.domainId,
        boxes.map((b) => b.mailboxId),
        boxes.map((b) => b.memberId),
        DEFAULT_QUOTA_BYTES,
        boxes.map((b) => b.localPart),
      ],
    );
    await em.query(
      `INSERT INTO addresses (tenant_id, domain_id, local_part, kind, mailbox_id)
       SELECT $1, $2, a.local_part, 'mailbox', a.mailbox_id FROM unnest($3::text[], $4::uuid[]) AS a(local_part, mailbox_id)`,
      [tenantId, ns.domainId, boxes.map((b) => b.localPart), boxes.map((b) => b.mailboxId)],
    );
    if (!recordOnMember) return;
    await em.query(
      `UPDATE members m SET email = v.address, updated_at = now()
         FROM unnest($2::uuid[], $3::text[]) AS v(id, address)
        WHERE m.tenant_id = $1 AND m.id = v.id`,
      [tenantId, boxes.map((b) => b.memberId), boxes.map((b) => b.address)],
    );
  }

  /** Departed: the mailbox keeps receiving mail but nobody signs in; purged after retention. */
  async suspendForMembers(
    em: EntityManager,
    tenantId: string,
    memberIds: string[],
    purgeAfter: Date,
  ): Promise<void> {
    if (memberIds.length === 0) return;
    await em.query(
      `UPDATE mailboxes SET status = 'suspended', suspended_at = now(), purge_after = $3, updated_at = now()
        WHERE tenant_id = $1 AND member_id = ANY($2) AND status = 'active'`,
      [tenantId, memberIds, purgeAfter],
    );
  }

  /** Rejoined within retention: the same mailbox, with its mail. Returns members whose mailbox was purged. */
  async reactivateForMembers(em: EntityManager, tenantId: string, memberIds: string[]): Promise<string[]> {
    if (memberIds.length === 0) return [];
    const revived = await returning<{ member_id: string }>(
      em,
      `UPDATE mailboxes SET status = 'active', suspended_at = NULL, purge_after = NULL, updated_at = now()
        WHERE tenant_id = $1 AND member_id = ANY($2) AND status = 'suspended'
        RETURNING member_id`,
      [tenantId, memberIds],
    );
    const live = new Set(revived.map((r) => r.member_id));
    const alreadyActive: { member_id: string }[] = await em.query(
      `SELECT member_id FROM mailboxes WHERE tenant_id = $1 AND member_id = ANY($2) AND status = 'active'`,
      [tenantId, memberIds],
    );
    for (const r of alreadyActive) live.add(r.member_id);
    return memberIds.filter((id) => !live.has(id));
  }

  /** Departments (of those named) that have no group yet. */
  async departmentsWithoutGroup(
    em: EntityManager,
    tenantId: string,
    externalIds: string[],
  ): Promise<Set<string>> {
    if (externalIds.length === 0) return new Set();
    const existing: { department_external_id: string }[] = await em.query(
      `SELECT department_external_id FROM mail_groups WHERE tenant_id = $1 AND department_external_id = ANY($2)`,
      [tenantId, externalIds],
    );
    const have = new Set(existing.map((r) => r.department_external_id));
    return new Set(externalIds.filter((id) => !have.has(id)));
  }

  /** One group per department, with its (already allocated) address. */
  async insertDepartmentGroups(
    em: EntityManager,
    tenantId: string,
    ns: AddressNamespace,
    groups: { externalId: string; name: string; localPart: string }[],
  ): Promise<void> {
    if (groups.length === 0) return;
    const ids = groups.map(() => randomUUID());
    await em.query(
      `INSERT INTO mail_groups (tenant_id, id, kind, department_external_id, name)
       SELECT $1, g.id, 'department', g.external_id, g.name FROM unnest($2::uuid[], $3::text[], $4::text[]) AS g(id, external_id, name)`,
      [tenantId, ids, groups.map((g) => g.externalId), groups.map((g) => g.name)],
    );
    await em.query(
      `INSERT INTO addresses (tenant_id, domain_id, local_part, kind, group_id)
       SELECT $1, $2, a.local_part, 'group', a.group_id FROM unnest($3::text[], $4::uuid[]) AS a(local_part, group_id)`,
      [tenantId, ns.domainId, groups.map((g) => g.localPart), ids],
    );
  }

  /** A renamed department renames its group; the address never changes. */
  async renameDepartmentGroups(
    em: EntityManager,
    tenantId: string,
    renames: { externalId: string; name: string }[],
  ): Promise<void> {
    if (renames.length === 0) return;
    await em.query(
      `UPDATE mail_groups g SET name = v.name, updated_at = now()
         FROM unnest($2::text[], $3::text[]) AS v(external_id, name)
        WHERE g.tenant_id = $1 AND g.department_external_id = v.external_id AND g.name IS DISTINCT FROM v.name`,
      [tenantId, renames.map((r) => r.externalId), renames.map((r) => r.name)],
    );
  }

  /** A removed department's group goes, and its address with it (cascade). */
  async removeDepartmentGroups(em: EntityManager, tenantId: string, externalIds: string[]): Promise<void> {
    if (externalIds.length === 0) return;
    await em.query(`DELETE FROM mail_groups WHERE tenant_id = $1 AND department_external_id = ANY($2)`, [
      tenantId,
      externalIds,
    ]);
  }
}
