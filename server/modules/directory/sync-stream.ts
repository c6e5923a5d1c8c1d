import { randomUUID } from 'node:crypto';
import type { DataSource, QueryRunner } from 'typeorm';
import type { SyncPolicy } from '../../../shared/directory/sync-policy';
import type { AuditService } from '../admin';
import type { AddressNamespace, MailboxProvisioning } from '../mailboxes';
import { AddressAllocator, compareCandidates } from './address-allocator';
import type { DirectoryMember } from './directory-provider.port';
import {
  insertMembers,
  reassignNewMailboxAddresses,
  readdressCreationAudit,
} from './directory-writes.repository';
import type { SyncApplier } from './sync-applier';
import { allocatePeople, isUniqueViolation } from './sync-people';
import { memberChanges, type HeldState, type MemberChange } from './sync-plan';

const CREATE_BATCH = 1000;
const UPDATE_BATCH = 1000;
/**
 * PostgreSQL caches each foreign-key check's plan per connection. Planned while this run's tables
 * were nearly empty (a first sync), it stays a scan of the whole tenant: 1000 mailboxes then took
 * seconds, growing with every batch. Replanning before each batch keeps every check an index probe.
 */
const DISCARD_PLANS = 'DISCARD PLANS';

export interface StreamContext {
  tenantId: string;
  runId: string;
  policy: SyncPolicy;
}

export interface CreatedMember {
  id: string;
  mailboxId: string;
  m: DirectoryMember;
  /** The address before collisions (from the name or template); the final pass reuses it. */
  base: string;
  localPart: string;
  address: string;
}

export interface StreamedChanges {
  created: CreatedMember[];
  updated: MemberChange[];
}

/**
 * The apply half of a full sync that runs while the listing still arrives: newcomers and changed
 * people are written in batches as their pages come in. Nothing destructive happens here (who
 * left is only known once the listing is complete), and reactivations wait for the end too.
 *
 * Addresses must not depend on arrival order (earlier hires get the bare address, as in a batch
 * apply), but who is earlier is only known at the end. So newcomers are written in one
 * transaction that stays open for the whole listing, with provisional addresses; at the end the
 * addresses are decided again in the stable order, the few that differ are rewritten, their audit
 * entries written, and only then is it committed: nobody ever sees a provisional address. A failed
 * run rolls newcomers back entirely. Updates commit batch by batch (they do not depend on order).
 *
 * `held` is updated as people are accepted, so planning the rest against it afterwards finds
 * only what is left: departures, reactivations, departments, anything that changed later.
 */
export class SyncStream {
  private qr: QueryRunner | null = null;
  private ns!: AddressNamespace;
  private allocator!: AddressAllocator;
  /** Local parts in use by others (not by this run's newcomers). */
  private othersTaken!: Set<string>;
  private readonly created: CreatedMember[] = [];
  private readonly updated: MemberChange[] = [];
  private readonly creates: BatchWriter<{ id: string; m: DirectoryMember }>;
  private readonly updates: BatchWriter<MemberChange>;
  private closed = false;

  constructor(
    private readonly d: {
      ds: DataSource;
      mailboxes: MailboxProvisioning;
      audit: AuditService;
      applier: SyncApplier;
    },
    private readonly ctx: StreamContext,
    private readonly held: HeldState,
  ) {
    this.creates = new BatchWriter(CREATE_BATCH, (batch) => this.writeCreates(batch));
    this.updates = new BatchWriter(UPDATE_BATCH, async (batch) => {
      await this.d.ds.transaction((em) => this.d.applier.writeUpdates(em, this.ctx, batch));
      this.updated.push(...batch);
    });
  }

  async open(): Promise<void> {
    const qr = this.d.ds.createQueryRunner();
    await qr.connect();
    try {
      await qr.startTransaction();
      this.qr = qr;
      this.ns = await this.d.mailboxes.loadNamespace(qr.manager, this.ctx.tenantId);
    } catch (err) {
      await this.abort();
      await qr.release().catch(() => undefined);
      throw err;
    }
    this.othersTaken = new Set(this.ns.taken);
    this.allocator = this.newAllocator(new Set(this.ns.taken));
  }

  /** People named for the first time by a listing page. Never throws; failures surface in finish(). */
  accept(fresh: DirectoryMember[]): void {
    if (this.closed) return;
    const creates: { id: string; m: DirectoryMember }[] = [];
    const updates: MemberChange[] = [];
    for (const given of fresh) {
      // Copies: the fetch may still add a department to its own object later (the rest sees that).
      const next: DirectoryMember = { ...given, departmentIds: [...given.departmentIds] };
      const before = this.held.members.get(next.externalId);
      if (!before) {
        const id = randomUUID();
        creates.push({ id, m: next });
        this.held.members.set(next.externalId, { ...next, id, status: 'active' });
      } else if (before.status === 'active') {
        const changed = memberChanges(before, next);
        if (changed.length === 0) continue;
        updates.push({
          kind: changed.includes('departmentIds') ? 'move' : 'update',
          memberId: before.id,
          externalId: next.externalId,
          displayName: next.displayName,
          changed,
          next,
        });
        this.held.members.set(next.externalId, { ...next, id: before.id, status: 'active' });
      }
      // Suspended or purged people come back in the final plan (reactivation), not here.
    }
    this.creates.push(creates);
    this.updates.push(updates);
  }

  /** Waits for every batch, settles the newcomers' addresses, commits. */
  async finish(): Promise<StreamedChanges> {
    this.closed = true;
    try {
      await this.creates.flush();
      await this.updates.flush();
      await this.settleAddresses();
      await this.qr!.commitTransaction();
    } catch (err) {
      await this.abort();
      throw err;
    }
    await this.qr!.release();
    this.qr = null;
    return { created: this.created, updated: this.updated };
  }

  /** Stops and rolls newcomers back (updates already committed stay: each batch is consistent). */
  async abort(): Promise<void> {
    this.closed = true;
    await this.creates.settle();
    await this.updates.settle();
    const qr = this.qr;
    this.qr = null;
    if (!qr) return;
    if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
    await qr.release().catch(() => undefined);
  }

  private newAllocator(taken: Set<string>): AddressAllocator {
    return new AddressAllocator(taken, {
      template: this.ctx.policy.addressTemplate,
      domains: this.ns.domains,
      extraReserved: this.ctx.policy.reservedLocalParts,
    });
  }

  private async writeCreates(batch: { id: string; m: DirectoryMember }[]): Promise<void> {
    const qr = this.qr!;
    const people = batch.map(({ id, m }) => ({ memberId: id, m }));
    let boxes = allocatePeople(this.allocator, this.ns, people);
    const write = async () => {
      const byMember = new Map(boxes.map((b) => [b.memberId, b]));
      await insertMembers(
        qr.manager,
        this.ctx.tenantId,
        batch.map(({ id, m }) => ({ id, m, email: byMember.get(id)!.address })),
      );
      await this.d.mailboxes.insertMailboxes(qr.manager, this.ctx.tenantId, this.ns, boxes, false);
      await this.d.audit.recordMany(
        qr.manager,
        batch.map(({ id, m }) => ({
          tenantId: this.ctx.tenantId,
          actorType: 'sync',
          action: 'directory.member_created',
          targetType: 'member',
          targetId: id,
          details: {
            externalId: m.externalId,
            name: m.displayName,
            address: byMember.get(id)!.address,
            runId: this.ctx.runId,
          },
        })),
      );
    };
    await qr.query(DISCARD_PLANS);
    await qr.query('SAVEPOINT sync_batch');
    try {
      await write();
      await qr.query('RELEASE SAVEPOINT sync_batch');
    } catch (err) {
      await qr.query('ROLLBACK TO SAVEPOINT sync_batch');
      if (!isUniqueViolation(err)) throw err;
      // Someone (an admin) took one of these addresses after we read the namespace: decide this
      // batch again against what is in use now (ours included), once.
      await this.reloadNamespace();
      boxes = allocatePeople(this.allocator, this.ns, people);
      await write();
    }
    const byMember = new Map(boxes.map((b) => [b.memberId, b]));
    for (const { id, m } of batch) {
      const box = byMember.get(id)!;
      this.created.push({
        id,
        mailboxId: box.mailboxId,
        m,
        base: box.base,
        localPart: box.localPart,
        address: box.address,
      });
    }
  }

  /**
   * The final pass without romanizing 10k names again (half a second): each person's base is
   * known from the provisional pass, and a job-number template hands a valid local part through
   * unchanged, so claiming it gives exactly what the batch allocation gives. Checked: if any
   * base comes out different (a reserved value, a future template change), null, and the caller
   * takes the full path.
   */
  private finalAddressesFromBases(): { memberId: string; localPart: string; address: string }[] | null {
    const template = this.ctx.policy.addressTemplate;
    const fallback =
      template.kind === 'job_number' || template.kind === 'org_email' ? template.fallback : template.kind;
    const allocator = new AddressAllocator(new Set(this.othersTaken), {
      template: { kind: 'job_number', fallback },
      domains: this.ns.domains,
      extraReserved: this.ctx.policy.reservedLocalParts,
    });
    const candidates = this.created
      .map((c) => ({ c, externalId: c.m.externalId, displayName: c.m.displayName, hiredAt: c.m.hiredAt }))
      .sort(compareCandidates);
    const out: { memberId: string; localPart: string; address: string }[] = [];
    for (const candidate of candidates) {
      const { c } = candidate;
      const r = allocator.allocatePerson({ ...candidate, jobNumber: c.base });
      if (r.base !== c.base) return null;
      out.push({ memberId: c.id, localPart: r.localPart, address: `${r.localPart}@${this.ns.domain}` });
    }
    return out;
  }

  private async reloadNamespace(): Promise<void> {
    const fresh = await this.d.mailboxes.loadNamespace(this.qr!.manager, this.ctx.tenantId);
    const mine = new Set(this.created.map((c) => c.localPart));
    this.othersTaken = new Set([...fresh.taken].filter((l) => !mine.has(l)));
    this.allocator = this.newAllocator(new Set(fresh.taken));
  }

  /** The addresses a batch apply would have given everyone at once; rewrites those that differ. */
  private async settleAddresses(): Promise<void> {
    if (this.created.length === 0) return;
    const qr = this.qr!;
    for (let attempt = 1; ; attempt++) {
      const finals =
        this.finalAddressesFromBases() ??
        allocatePeople(
          this.newAllocator(new Set(this.othersTaken)),
          this.ns,
          this.created.map((c) => ({ memberId: c.id, m: c.m })),
        );
      const byMember = new Map(this.created.map((c) => [c.id, c]));
      const changed = finals
        .filter((f) => byMember.get(f.memberId)!.localPart !== f.localPart)
        .map((f) => ({ ...f, mailboxId: byMember.get(f.memberId)!.mailboxId }));
      await qr.query(DISCARD_PLANS);
      await qr.query('SAVEPOINT sync_settle');
      try {
        await reassignNewMailboxAddresses(qr.manager, this.ctx.tenantId, this.ns.domainId, changed);
        await readdressCreationAudit(qr.manager, this.ctx.tenantId, changed);
        await qr.query('RELEASE SAVEPOINT sync_settle');
      } catch (err) {
        await qr.query('ROLLBACK TO SAVEPOINT sync_settle');
        if (!isUniqueViolation(err) || attempt > 1) throw err;
        await this.reloadNamespace();
        continue;
      }
      for (const f of changed) {
        const c = byMember.get(f.memberId)!;
        c.localPart = f.localPart;
        c.address = f.address;
      }
      return;
    }
  }
}

/** Takes items as they come and writes them in batches, one batch at a time, in arrival order. */
class BatchWriter<T> {
  private readonly queue: T[] = [];
  private running: Promise<void> | null = null;
  private failure: { error: unknown } | null = null;

  constructor(
    private readonly size: number,
    private readonly write: (batch: T[]) => Promise<void>,
  ) {}

  push(items: T[]): void {
    if (items.length === 0) return;
    this.queue.push(...items);
    this.kick();
  }

  /** Everything pushed so far is written; rethrows the first failure. */
  async flush(): Promise<void> {
    while (this.running || (this.queue.length > 0 && !this.failure)) {
      this.kick();
      await this.running;
    }
    if (this.failure) throw this.failure.error;
  }

  /** Waits for the batch in progress, whatever its outcome. */
  async settle(): Promise<void> {
    this.queue.length = 0;
    while (this.running) await this.running;
  }

  private kick(): void {
    if (this.running || this.queue.length === 0 || this.failure) return;
    this.running = (async () => {
      while (this.queue.length > 0 && !this.failure) await this.write(this.queue.splice(0, this.size));
    })()
      .catch((error: unknown) => {
        this.failure = { error };
        this.queue.length = 0;
      })
      .finally(() => {
        this.running = null;
        this.kick();
      });
  }
}
