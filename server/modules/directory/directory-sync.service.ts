import type { DataSource } from 'typeorm';
import { SYNC_POLICY_KEY, SyncPolicy } from '../../../shared/directory/sync-policy';
import type { Clock } from '../../platform/clock';
import { ConflictError, NotFoundError } from '../../platform/errors';
import type { Logger } from '../../platform/logger';
import type { AuditService } from '../admin';
import { withAdvisoryLock, type JobRunsService, type JobTrigger } from '../scheduling';
import type { SettingsService } from '../tenants';
import { loadHeldState } from './directory-state.repository';
import type { DirectoryProvider } from './directory-provider.port';
import type { SyncApplier } from './sync-applier';
import {
  countPlan,
  planSize,
  planSync,
  suspensionLimit,
  type PlanCounts,
  type SyncPlan,
  type SyncScope,
} from './sync-plan';

export const SYNC_JOB = 'directory.sync';

export type ProviderFor = (tenantId: string) => Promise<DirectoryProvider>;

export interface SyncOptions {
  trigger: JobTrigger;
  dryRun?: boolean;
  requestedBy?: string | null;
  /** Confirms a held run: up to this many suspensions may go ahead. */
  allowSuspensions?: number;
  confirmationOf?: string;
  /** Called as soon as the run has its job_runs row (routes answer with the id and let it finish). */
  onStarted?: (runId: string) => void;
}

export interface SyncOutcome {
  runId: string;
  status: 'applied' | 'dry_run' | 'held' | 'unchanged';
  counts: PlanCounts;
  suspensionLimit: number;
  plan: SyncPlan;
  apiCalls: number;
}

/**
 * The one sync engine: a full sync and an event run the same steps (fetch → diff against what we
 * hold, keyed by stable ids → plan → safeguards → apply in batches → audit).
 */
export class DirectorySyncService {
  constructor(
    private readonly d: {
      ds: DataSource;
      providerFor: ProviderFor;
      applier: SyncApplier;
      settings: SettingsService;
      audit: AuditService;
      jobRuns: JobRunsService;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  policy(tenantId: string): Promise<SyncPolicy> {
    return this.d.settings.get(tenantId, SYNC_POLICY_KEY, SyncPolicy);
  }

  /** A full sync. Only one runs per tenant at a time, across every replica. */
  async fullSync(tenantId: string, options: SyncOptions): Promise<SyncOutcome> {
    const locked = await withAdvisoryLock(this.d.ds, `directory-sync:${tenantId}`, () =>
      this.fullSyncLocked(tenantId, options),
    );
    if (!locked.acquired)
      throw new ConflictError('A directory sync is already running for this organization');
    return locked.result;
  }

  /** Starts a full sync and answers with its run id once recorded; the run goes on in the background. */
  startFullSync(
    tenantId: string,
    options: SyncOptions,
  ): Promise<{ runId: string; done: Promise<SyncOutcome> }> {
    return startInBackground(
      (onStarted) => this.fullSync(tenantId, { ...options, onStarted }),
      this.d.logger,
    );
  }

  startConfirmHeld(
    tenantId: string,
    runId: string,
    requestedBy: string | null,
  ): Promise<{ runId: string; done: Promise<SyncOutcome> }> {
    return startInBackground(
      (onStarted) => this.confirmHeld(tenantId, runId, requestedBy, onStarted),
      this.d.logger,
    );
  }

  /** Confirms a run the safeguard held: runs again, letting through as many suspensions as were shown. */
  async confirmHeld(
    tenantId: string,
    runId: string,
    requestedBy: string | null,
    onStarted?: (runId: string) => void,
  ): Promise<SyncOutcome> {
    const run = await this.d.jobRuns.get(tenantId, runId);
    if (!run || run.job !== SYNC_JOB) throw new NotFoundError('Sync run');
    if (run.status !== 'held') throw new ConflictError('Only a held run can be confirmed');
    const counts = run.summary.counts as PlanCounts | undefined;
    const outcome = await this.fullSync(tenantId, {
      trigger: 'manual',
      requestedBy,
      allowSuspensions: counts?.membersSuspended ?? 0,
      confirmationOf: runId,
      onStarted,
    });
    await this.d.jobRuns.finish(tenantId, runId, 'cancelled', {
      confirmedBy: requestedBy,
      confirmedRunId: outcome.runId,
    });
    return outcome;
  }

  /** An event names some people or departments: the same engine, scoped to those ids. */
  async syncIds(
    tenantId: string,
    ids: { memberIds: string[]; departmentIds: string[] },
    eventType: string,
  ): Promise<SyncOutcome> {
    const locked = await withAdvisoryLock(this.d.ds, `directory-sync:${tenantId}`, async () => {
      const provider = await this.d.providerFor(tenantId);
      const before = provider.callCount();
      const [members, departments] = await Promise.all([
        provider.fetchMembers(ids.memberIds),
        provider.fetchDepartments(ids.departmentIds),
      ]);
      const held = await loadHeldState(this.d.ds.manager, tenantId, ids);
      const activeTotal = await this.activeCount(tenantId);
      const scope: SyncScope = {
        kind: 'ids',
        memberIds: new Set(ids.memberIds),
        departmentIds: new Set(ids.departmentIds),
      };
      const plan = planSync(
        held,
        {
          departments: departments.found,
          members: members.found,
          missingMemberIds: members.missing,
          missingDepartmentIds: departments.missing,
        },
        scope,
      );
      plan.activeBefore = activeTotal;
      return this.decideAndApply(
        tenantId,
        plan,
        { trigger: 'event', summary: { eventType } },
        provider.callCount() - before,
      );
    });
    // Another run holds the lock: the caller (the event processor) retries the event later.
    if (!locked.acquired) throw new ConflictError('A directory sync is running; the event will be retried');
    return locked.result;
  }

  private async fullSyncLocked(tenantId: string, options: SyncOptions): Promise<SyncOutcome> {
    const provider = await this.d.providerFor(tenantId);
    const before = provider.callCount();
    const runId = await this.d.jobRuns.start(tenantId, SYNC_JOB, options.trigger, {
      requestedBy: options.requestedBy,
      summary: {
        dryRun: options.dryRun ?? false,
        ...(options.confirmationOf ? { confirmationOf: options.confirmationOf } : {}),
      },
    });
    options.onStarted?.(runId);
    try {
      let lastReport = 0;
      const snapshot = await provider.fetchAll((p) => {
        // Progress writes are throttled: a 100k-person fetch reports thousands of steps.
        const now = Date.now();
        if (now - lastReport < 250) return;
        lastReport = now;
        void this.d.jobRuns
          .progress(tenantId, runId, p.done, p.total ?? null, `fetch:${p.phase}`)
          .catch(() => undefined);
      });
      const held = await loadHeldState(this.d.ds.manager, tenantId);
      const plan = planSync(held, snapshot, { kind: 'full' });
      return await this.decideAndApply(
        tenantId,
        plan,
        {
          ...options,
          runId,
          summary: {
            fetched: { departments: snapshot.departments.length, members: snapshot.members.length },
          },
        },
        provider.callCount() - before,
      );
    } catch (err) {
      await this.d.jobRuns.finish(tenantId, runId, 'failed', {}, (err as Error).message ?? String(err));
      throw err;
    }
  }

  private async decideAndApply(
    tenantId: string,
    plan: SyncPlan,
    options: Partial<SyncOptions> & { runId?: string; summary?: Record<string, unknown> },
    apiCalls: number,
  ): Promise<SyncOutcome> {
    const policy = await this.policy(tenantId);
    const counts = countPlan(plan);
    const limit = suspensionLimit(plan.activeBefore, {
      percent: policy.suspendThresholdPercent,
      floor: policy.suspendThresholdFloor,
    });
    const runId =
      options.runId ??
      (await this.d.jobRuns.start(tenantId, SYNC_JOB, options.trigger ?? 'event', {
        summary: options.summary ?? {},
      }));
    const base = { counts, suspensionLimit: limit, apiCalls, ...(options.summary ?? {}) };
    const outcome = (status: SyncOutcome['status']): SyncOutcome => ({
      runId,
      status,
      counts,
      suspensionLimit: limit,
      plan,
      apiCalls,
    });

    if (options.dryRun) {
      await this.d.jobRuns.finish(tenantId, runId, 'succeeded', {
        ...base,
        outcome: 'dry_run',
        changes: describePlan(plan),
      });
      return outcome('dry_run');
    }
    const suspensions = plan.members.suspend.length;
    if (suspensions > limit && suspensions > (options.allowSuspensions ?? -1)) {
      await this.d.jobRuns.finish(tenantId, runId, 'held', {
        ...base,
        outcome: 'held',
        changes: describePlan(plan),
      });
      await this.d.ds.transaction((em) =>
        this.d.audit.record(em, {
          tenantId,
          actorType: 'sync',
          action: 'directory.sync_held',
          targetType: 'job_run',
          targetId: runId,
          details: { suspensions, limit },
        }),
      );
      this.d.logger.warn({ tenantId, runId, suspensions, limit }, 'directory sync held for confirmation');
      return outcome('held');
    }
    const total = planSize(plan);
    if (total === 0) {
      await this.d.jobRuns.finish(tenantId, runId, 'succeeded', { ...base, outcome: 'unchanged' });
      return outcome('unchanged');
    }
    await this.d.jobRuns.progress(tenantId, runId, 0, total, 'apply');
    await this.d.applier.apply(plan, {
      tenantId,
      runId,
      policy,
      now: this.d.clock.now(),
      onProgress: (done) => this.d.jobRuns.progress(tenantId, runId, done, total, 'apply'),
    });
    await this.d.jobRuns.finish(tenantId, runId, 'succeeded', { ...base, outcome: 'applied' });
    return outcome('applied');
  }

  private async activeCount(tenantId: string): Promise<number> {
    const [{ count }] = await this.d.ds.query(
      `SELECT count(*)::int AS count FROM members WHERE tenant_id = $1 AND source = 'dingtalk' AND status = 'active'`,
      [tenantId],
    );
    return count;
  }
}

function startInBackground(
  run: (onStarted: (runId: string) => void) => Promise<SyncOutcome>,
  logger: Logger,
): Promise<{ runId: string; done: Promise<SyncOutcome> }> {
  return new Promise((resolve, reject) => {
    let started = false;
    const done: Promise<SyncOutcome> = run((runId) => {
      started = true;
      resolve({ runId, done });
    });
    done.catch((err) => {
      // Before the run exists the caller gets the error; after, it is on the run's record.
      if (!started) reject(err);
      else logger.error({ err }, 'directory sync failed');
    });
  });
}

/** The plan as rows an admin reads (the console's diff table). Capped so a huge plan stays readable. */
export function describePlan(
  plan: SyncPlan,
  cap = 5000,
): { kind: string; target: string; name: string; detail?: string }[] {
  const rows: { kind: string; target: string; name: string; detail?: string }[] = [];
  for (const d of plan.departments.create)
    rows.push({ kind: 'department_create', target: d.externalId, name: d.name });
  for (const d of plan.departments.update)
    rows.push({
      kind: 'department_update',
      target: d.externalId,
      name: d.next.name,
      detail: d.changed.join(','),
    });
  for (const d of plan.departments.remove)
    rows.push({ kind: 'department_remove', target: d.externalId, name: d.name });
  for (const m of plan.members.create)
    rows.push({ kind: 'member_create', target: m.externalId, name: m.displayName });
  for (const m of plan.members.update)
    rows.push({
      kind: `member_${m.kind}`,
      target: m.externalId,
      name: m.displayName,
      detail: m.changed.join(','),
    });
  for (const m of plan.members.suspend)
    rows.push({ kind: 'member_suspend', target: m.externalId, name: m.displayName });
  for (const m of plan.members.reactivate)
    rows.push({ kind: 'member_reactivate', target: m.externalId, name: m.displayName });
  return rows.slice(0, cap);
}
