import type { DataSource } from 'typeorm';
import { SYNC_POLICY_KEY, SyncPolicy } from '../../../shared/directory/sync-policy';
import type { Clock } from '../../platform/clock';
import { ConflictError, NotFoundError } from '../../platform/errors';
import type { Logger } from '../../platform/logger';
import type { AuditService } from '../admin';
import { withAdvisoryLock, type JobRunsService, type JobTrigger } from '../scheduling';
import type { SettingsService } from '../tenants';
import { loadHeldState } from './directory-state.repository';
import type { DirectoryProvider, FetchProgress } from './directory-provider.port';
import type { SyncApplier } from './sync-applier';
import type { StreamedChanges, SyncStream } from './sync-stream';
import { countActive, describePlan, withStreamed } from './sync-summary';
import {
  countPlan,
  planSize,
  planSync,
  suspensionLimit,
  type PlanCounts,
  type SyncPlan,
  type SyncScope,
} from './sync-plan';

export { describePlan };

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
  /** A full run: time spent fetching (people streamed in meanwhile), settling the streamed part, and after. */
  phasesMs?: { fetch: number; settle: number; rest: number };
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
    let stream: SyncStream | null = null;
    try {
      let lastReport = 0;
      const onProgress = (p: FetchProgress) => {
        // Progress writes are throttled: a 100k-person fetch reports thousands of steps.
        const now = Date.now();
        if (now - lastReport < 250) return;
        lastReport = now;
        void this.d.jobRuns
          .progress(tenantId, runId, p.done, p.total ?? null, `fetch:${p.phase}`)
          .catch(() => undefined);
      };
      const held = await loadHeldState(this.d.ds.manager, tenantId);
      const activeBefore = countActive(held);
      // A real run applies newcomers and changes while the listing still arrives; a dry run only looks.
      if (!options.dryRun) {
        stream = this.d.applier.openStream({ tenantId, runId, policy: await this.policy(tenantId) }, held);
        await stream.open();
      }
      const t0 = performance.now();
      const snapshot = await provider.fetchAll(
        onProgress,
        stream ? (fresh) => stream!.accept(fresh) : undefined,
      );
      const t1 = performance.now();
      const streamed = stream ? await stream.finish() : { created: [], updated: [] };
      stream = null;
      const t2 = performance.now();
      // What is left once the streamed part is in `held`: departures, reactivations, departments.
      const rest = planSync(held, snapshot, { kind: 'full' });
      rest.activeBefore = activeBefore;
      const phasesMs = { fetch: Math.round(t1 - t0), settle: Math.round(t2 - t1), rest: 0 };
      const outcome = await this.decideAndApply(
        tenantId,
        rest,
        {
          ...options,
          runId,
          streamed,
          summary: {
            fetched: { departments: snapshot.departments.length, members: snapshot.members.length },
            phasesMs,
          },
        },
        provider.callCount() - before,
      );
      phasesMs.rest = Math.round(performance.now() - t2);
      return { ...outcome, phasesMs };
    } catch (err) {
      await stream?.abort();
      await this.d.jobRuns.finish(tenantId, runId, 'failed', {}, (err as Error).message ?? String(err));
      throw err;
    }
  }

  /**
   * Safeguards, then the apply. `plan` is what is still to do; `streamed` what a full run already
   * wrote while fetching (counted and described with the rest, never undone).
   */
  private async decideAndApply(
    tenantId: string,
    plan: SyncPlan,
    options: Partial<SyncOptions> & {
      runId?: string;
      summary?: Record<string, unknown>;
      streamed?: StreamedChanges;
    },
    apiCalls: number,
  ): Promise<SyncOutcome> {
    const policy = await this.policy(tenantId);
    const whole = withStreamed(plan, options.streamed);
    const counts = countPlan(whole);
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
      plan: whole,
      apiCalls,
    });
    const apply = async (todo: SyncPlan) => {
      const total = planSize(todo);
      if (total === 0) return;
      await this.d.jobRuns.progress(tenantId, runId, 0, total, 'apply');
      await this.d.applier.apply(todo, {
        tenantId,
        runId,
        policy,
        now: this.d.clock.now(),
        onProgress: (done) => this.d.jobRuns.progress(tenantId, runId, done, total, 'apply'),
      });
    };

    if (options.dryRun) {
      await this.d.jobRuns.finish(tenantId, runId, 'succeeded', {
        ...base,
        outcome: 'dry_run',
        changes: describePlan(whole),
      });
      return outcome('dry_run');
    }
    const suspensions = plan.members.suspend.length;
    if (suspensions > limit && suspensions > (options.allowSuspensions ?? -1)) {
      // Held: nothing destructive happens (no suspension, no department removed); the rest of the
      // plan is as safe as what was streamed, so it goes in and the directory stays coherent.
      await apply({
        ...plan,
        departments: { ...plan.departments, remove: [] },
        members: { ...plan.members, suspend: [] },
      });
      await this.d.jobRuns.finish(tenantId, runId, 'held', {
        ...base,
        outcome: 'held',
        changes: describePlan(whole),
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
    if (planSize(whole) === 0) {
      await this.d.jobRuns.finish(tenantId, runId, 'succeeded', { ...base, outcome: 'unchanged' });
      return outcome('unchanged');
    }
    await apply(plan);
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
