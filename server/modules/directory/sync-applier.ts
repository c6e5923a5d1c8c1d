import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { SyncPolicy } from '../../../shared/directory/sync-policy';
import type { AuditRecord, AuditService } from '../admin';
import type { AddressNamespace, MailboxProvisioning, ProvisionedMailbox } from '../mailboxes';
import { AddressAllocator, compareCandidates } from './address-allocator';
import type { DirectoryMember } from './directory-provider.port';
import { romanizeName } from './name-romanizer';
import type { SyncPlan } from './sync-plan';

const BATCH = 2000;

export interface ApplyContext {
  tenantId: string;
  runId: string | null;
  policy: SyncPolicy;
  now: Date;
  onProgress: (done: number) => Promise<void>;
}

/**
 * Writes a plan with set-based SQL, one transaction per batch: a crash part-way leaves a
 * consistent directory and the next run finishes the rest. Every change gets an audit entry.
 */
export class SyncApplier {
  constructor(
    private readonly ds: DataSource,
    private readonly mailboxes: MailboxProvisioning,
    private readonly audit: AuditService,
  ) {}

  async apply(plan: SyncPlan, ctx: ApplyContext): Promise<void> {
    let done = 0;
    const step = async (n: number) => {
      done += n;
      await ctx.onProgress(done);
    };
    const audit = (
      action: string,
      targetType: string,
      targetId: string,
      details: Record<string, unknown>,
    ): AuditRecord => ({
      tenantId: ctx.tenantId,
      actorType: 'sync',
      action,
      targetType,
      targetId,
      details: { ...details, runId: ctx.runId },
    });

    await this.ds.transaction(async (em) => {
      await this.applyDepartments(em, plan, ctx.tenantId);
      await this.audit.recordMany(em, [
        ...plan.departments.create.map((d) =>
          audit('directory.department_created', 'department', d.externalId, { name: d.name }),
        ),
        ...plan.departments.update.map((d) =>
          audit('directory.department_updated', 'department', d.externalId, {
            name: d.next.name,
            changed: d.changed,
          }),
        ),
        ...plan.departments.remove.map((d) =>
          audit('directory.department_removed', 'department', d.externalId, { name: d.name }),
        ),
      ]);
    });
    await step(
      plan.departments.create.length + plan.departments.update.length + plan.departments.remove.length,
    );

    const ns = await this.mailboxes.loadNamespace(this.ds.manager, ctx.tenantId);
    const allocator = new AddressAllocator(ns.taken, {
      template: ctx.policy.addressTemplate,
      domains: ns.domains,
      extraReserved: ctx.policy.reservedLocalParts,
    });

    // New people: ids and addresses decided up front in the stable order, then written in batches.
    const created = plan.members.create.map((m) => ({ id: randomUUID(), m }));
    const boxes = allocatePeople(
      allocator,
      ns,
      created.map(({ id, m }) => ({ memberId: id, m })),
    );
    const boxByMember = new Map(boxes.map((b) => [b.memberId, b]));
    // Batches are independent (ids and addresses are decided), so two run at once: one in
    // PostgreSQL while the next is being prepared and sent.
    await forEachConcurrent(chunks(created, BATCH), 2, async (batch) => {
      await this.ds.transaction(async (em) => {
        await insertMembers(
          em,
          ctx.tenantId,
          batch.map(({ id, m }) => ({ id, m, email: boxByMember.get(id)!.address })),
        );
        const batchBoxes = batch.map(({ id }) => boxByMember.get(id)!);
        await this.mailboxes.insertMailboxes(em, ctx.tenantId, ns, batchBoxes, false);
        await this.audit.recordMany(
          em,
          batch.map(({ id, m }) =>
            audit('directory.member_created', 'member', id, {
              externalId: m.externalId,
              name: m.displayName,
              address: boxByMember.get(id)!.address,
            }),
          ),
        );
      });
      await step(batch.length);
    });

    for (const batch of chunks(plan.members.update, BATCH)) {
      await this.ds.transaction(async (em) => {
        await updateMembers(
          em,
          ctx.tenantId,
          batch.map((c) => ({ id: c.memberId, m: c.next })),
        );
        await this.audit.recordMany(
          em,
          batch.map((c) =>
            audit(
              c.kind === 'move' ? 'directory.member_moved' : 'directory.member_updated',
              'member',
              c.memberId,
              {
                externalId: c.externalId,
                name: c.displayName,
                changed: c.changed,
              },
            ),
          ),
        );
      });
      await step(batch.length);
    }

    const purgeAfter = new Date(ctx.now.getTime() + ctx.policy.retentionDays * 86_400_000);
    for (const batch of chunks(plan.members.suspend, BATCH)) {
      await this.ds.transaction(async (em) => {
        const ids = batch.map((s) => s.memberId);
        await em.query(
          `UPDATE members SET status = 'suspended', left_at = $3, updated_at = now()
            WHERE tenant_id = $1 AND id = ANY($2) AND status = 'active'`,
          [ctx.tenantId, ids, ctx.now],
        );
        await this.mailboxes.suspendForMembers(em, ctx.tenantId, ids, purgeAfter);
        await this.audit.recordMany(
          em,
          batch.map((s) =>
            audit('directory.member_suspended', 'member', s.memberId, {
              externalId: s.externalId,
              name: s.displayName,
              purgeAfter: purgeAfter.toISOString(),
            }),
          ),
        );
      });
      await step(batch.length);
    }

    for (const batch of chunks(plan.members.reactivate, BATCH)) {
      await this.ds.transaction(async (em) => {
        const ids = batch.map((r) => r.memberId);
        await updateMembers(
          em,
          ctx.tenantId,
          batch.map((r) => ({ id: r.memberId, m: r.next })),
        );
        await em.query(
          `UPDATE members SET status = 'active', left_at = NULL, updated_at = now() WHERE tenant_id = $1 AND id = ANY($2)`,
          [ctx.tenantId, ids],
        );
        // Within retention the old mailbox comes back with its mail; after a purge, a new one.
        const needNew = new Set(await this.mailboxes.reactivateForMembers(em, ctx.tenantId, ids));
        const fresh = allocatePeople(
          allocator,
          ns,
          batch.filter((r) => needNew.has(r.memberId)).map((r) => ({ memberId: r.memberId, m: r.next })),
        );
        await this.mailboxes.insertMailboxes(em, ctx.tenantId, ns, fresh);
        await this.audit.recordMany(
          em,
          batch.map((r) =>
            audit('directory.member_reactivated', 'member', r.memberId, {
              externalId: r.externalId,
              name: r.displayName,
              newMailbox: needNew.has(r.memberId),
            }),
          ),
        );
      });
      await step(batch.length);
    }

    await this.ds.transaction(async (em) => {
      await refreshDepartmentPaths(em, ctx.tenantId);
      await this.syncDepartmentGroups(em, ctx.tenantId, ns, allocator, plan);
    });
  }

  private async applyDepartments(em: EntityManager, plan: SyncPlan, tenantId: string): Promise<void> {
    const upserts = [...plan.departments.create, ...plan.departments.update.map((u) => u.next)];
    if (upserts.length > 0) {
      await em.query(
        `INSERT INTO departments (tenant_id, external_id, parent_external_id, name, sort_order, manager_external_ids, path)
         SELECT $1, d.external_id, d.parent_external_id, d.name, d.sort_order, mgr.managers, ARRAY[d.external_id]
           FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::jsonb[]) AS d(external_id, parent_external_id, name, sort_order, managers_json)
           CROSS JOIN LATERAL (SELECT coalesce(array_agg(x), '{}') AS managers FROM jsonb_array_elements_text(d.managers_json) x) mgr
         ON CONFLICT (tenant_id, external_id) DO UPDATE
           SET parent_external_id = EXCLUDED.parent_external_id, name = EXCLUDED.name, sort_order = EXCLUDED.sort_order,
               manager_external_ids = EXCLUDED.manager_external_ids, updated_at = now()`,
        [
          tenantId,
          upserts.map((d) => d.externalId),
          upserts.map((d) => d.parentExternalId),
          upserts.map((d) => d.name),
          upserts.map((d) => d.order),
          upserts.map((d) => JSON.stringify(d.managerExternalIds)),
        ],
      );
    }
    const renamed = plan.departments.update.filter((u) => u.changed.includes('name'));
    await this.mailboxes.renameDepartmentGroups(
      em,
      tenantId,
      renamed.map((u) => ({ externalId: u.externalId, name: u.next.name })),
    );
    const removed = plan.departments.remove.map((d) => d.externalId);
    if (removed.length > 0) {
      await this.mailboxes.removeDepartmentGroups(em, tenantId, removed);
      await em.query(`DELETE FROM departments WHERE tenant_id = $1 AND external_id = ANY($2)`, [
        tenantId,
        removed,
      ]);
    }
  }

  /** Every department has a group; new ones get an address from the shared namespace. */
  private async syncDepartmentGroups(
    em: EntityManager,
    tenantId: string,
    ns: AddressNamespace,
    allocator: AddressAllocator,
    plan: SyncPlan,
  ): Promise<void> {
    const rows: { external_id: string; name: string; path: string[] }[] = await em.query(
      `SELECT external_id, name, path FROM departments WHERE tenant_id = $1`,
      [tenantId],
    );
    const missing = await this.mailboxes.departmentsWithoutGroup(
      em,
      tenantId,
      rows.map((r) => r.external_id),
    );
    if (missing.size === 0 && plan.departments.create.length === 0) return;
    const nameOf = new Map(rows.map((r) => [r.external_id, r.name]));
    const candidates = rows
      .filter((r) => missing.has(r.external_id))
      .map((r) => ({
        externalId: r.external_id,
        name: r.name,
        parentNames: r.path.slice(0, -1).map((id) => nameOf.get(id) ?? ''),
      }))
      .sort((a, b) => a.parentNames.length - b.parentNames.length || compareIds(a.externalId, b.externalId));
    const groups = candidates.map((c) => ({
      ...c,
      localPart: allocator.allocateDepartmentGroup(c).localPart,
    }));
    await this.mailboxes.insertDepartmentGroups(em, tenantId, ns, groups);
  }
}

function allocatePeople(
  allocator: AddressAllocator,
  ns: AddressNamespace,
  people: { memberId: string; m: DirectoryMember }[],
): ProvisionedMailbox[] {
  const candidates = people
    .map(({ memberId, m }) => ({ memberId, ...m, orgEmail: m.directoryEmail }))
    .sort(compareCandidates);
  return candidates.map((c) => {
    const { localPart } = allocator.allocatePerson(c);
    return { memberId: c.memberId, mailboxId: randomUUID(), localPart, address: `${localPart}@${ns.domain}` };
  });
}

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

async function insertMembers(
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
async function updateMembers(
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

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function compareIds(a: string, b: string): number {
  return compareCandidates({ externalId: a, displayName: '' }, { externalId: b, displayName: '' });
}

async function forEachConcurrent<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}
