import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { SyncPolicy } from '../../../shared/directory/sync-policy';
import type { AuditRecord, AuditService } from '../admin';
import type { AddressNamespace, MailboxProvisioning } from '../mailboxes';
import { AddressAllocator, addressBase, compareCandidates } from './address-allocator';
import { insertMembers, refreshDepartmentPaths, updateMembers } from './directory-writes.repository';
import type { HeldState, MemberChange, SyncPlan } from './sync-plan';
import { allocatePeople, isUniqueViolation } from './sync-people';
import { SyncStream, type StreamContext } from './sync-stream';

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

    const ns = await this.mailboxes.loadNamespace(
      this.ds.manager,
      ctx.tenantId,
      this.prefixesFor(plan, ctx.policy),
    );
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
    const insertBatch = (batch: typeof created) =>
      this.ds.transaction(async (em) => {
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
    await forEachConcurrent(chunks(created, BATCH), 2, async (batch) => {
      try {
        await insertBatch(batch);
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        // Someone (an admin) took one of these addresses after we read the namespace: decide
        // this batch's addresses again against what is in use now, and retry once.
        const fresh = await this.mailboxes.loadNamespace(this.ds.manager, ctx.tenantId);
        const mine = new Set(batch.map(({ id }) => boxByMember.get(id)!.localPart));
        for (const b of boxByMember.values()) if (!mine.has(b.localPart)) fresh.taken.add(b.localPart);
        const retryAllocator = new AddressAllocator(fresh.taken, {
          template: ctx.policy.addressTemplate,
          domains: fresh.domains,
          extraReserved: ctx.policy.reservedLocalParts,
        });
        for (const box of allocatePeople(
          retryAllocator,
          ns,
          batch.map(({ id, m }) => ({ memberId: id, m })),
        )) {
          boxByMember.set(box.memberId, box);
        }
        await insertBatch(batch);
      }
      await step(batch.length);
    });

    for (const batch of chunks(plan.members.update, BATCH)) {
      await this.ds.transaction((em) => this.writeUpdates(em, ctx, batch));
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
      await this.syncDepartmentGroups(em, ctx.tenantId, ns, allocator, plan, ctx.policy);
    });
  }

  /** Changed people (details or departments), audited; rows that did not really change are not written. */
  async writeUpdates(
    em: EntityManager,
    ctx: { tenantId: string; runId: string | null },
    batch: MemberChange[],
  ): Promise<void> {
    await updateMembers(
      em,
      ctx.tenantId,
      batch.map((c) => ({ id: c.memberId, m: c.next })),
    );
    await this.audit.recordMany(
      em,
      batch.map((c) => ({
        tenantId: ctx.tenantId,
        actorType: 'sync',
        action: c.kind === 'move' ? 'directory.member_moved' : 'directory.member_updated',
        targetType: 'member',
        targetId: c.memberId,
        details: { externalId: c.externalId, name: c.displayName, changed: c.changed, runId: ctx.runId },
      })),
    );
  }

  /** A streaming apply for one full run: people are written while the listing still arrives. */
  openStream(ctx: StreamContext, held: HeldState): SyncStream {
    return new SyncStream(
      { ds: this.ds, mailboxes: this.mailboxes, audit: this.audit, applier: this },
      ctx,
      held,
    );
  }

  /** Few newcomers and no new departments: load only the part of the namespace they could touch. */
  private prefixesFor(plan: SyncPlan, policy: SyncPolicy): ((domains: string[]) => string[]) | undefined {
    const people = [...plan.members.create, ...plan.members.reactivate.map((r) => r.next)];
    if (plan.departments.create.length > 0 || people.length === 0 || people.length > 200) return undefined;
    return (domains) =>
      people.map(
        (m) =>
          addressBase(
            {
              externalId: m.externalId,
              displayName: m.displayName,
              jobNumber: m.jobNumber,
              orgEmail: m.directoryEmail,
            },
            { template: policy.addressTemplate, domains },
          ).base,
      );
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
    policy: SyncPolicy,
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
    if (missing.size === 0) return;
    // A partial namespace (see prefixesFor) does not cover department names: use the whole one.
    const partial = this.prefixesFor(plan, policy) !== undefined;
    const groupAllocator = partial
      ? new AddressAllocator((await this.mailboxes.loadNamespace(em, tenantId)).taken, {
          template: policy.addressTemplate,
          domains: ns.domains,
          extraReserved: policy.reservedLocalParts,
        })
      : allocator;
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
      localPart: groupAllocator.allocateDepartmentGroup(c).localPart,
    }));
    await this.mailboxes.insertDepartmentGroups(em, tenantId, ns, groups);
  }
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
