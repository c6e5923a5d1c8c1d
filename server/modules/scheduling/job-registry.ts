import cron, { type ScheduledTask } from 'node-cron';
import type { DataSource } from 'typeorm';
import { ErrorCodes } from '../../../shared/errors';
import { AppError, ForbiddenError, NotFoundError } from '../../platform/errors';
import type { Logger } from '../../platform/logger';
import { withAdvisoryLock } from './advisory-lock';
import type { JobRunStatus, JobTrigger } from './job-run.entity';
import type { JobRunRow, JobRunsService } from './job-runs.service';

/** What a job's run gets: who it runs for, and a way to report progress (visible in the console). */
export interface JobContext {
  /** The organization this run is for; null for a global job. */
  tenantId: string | null;
  runId: string;
  trigger: JobTrigger;
  logger: Logger;
  progress(done: number, total?: number | null): Promise<void>;
}

export interface JobDefinition {
  /** Stable, dotted: `rules.housekeeping`, `mail.retention`. */
  name: string;
  description: string;
  /** node-cron expression (an optional seconds field first); null = run on demand only. */
  cron: string | null;
  /** Time zone of the expression; defaults to the deployment's default time zone. */
  timeZone?: string;
  /** `tenant`: one run per active organization, each with its own job_runs row; `global`: one run. */
  scope: 'tenant' | 'global';
  /** What it returns is merged into the run's summary. */
  run(ctx: JobContext): Promise<Record<string, unknown> | void>;
}

export interface RegisteredJob {
  name: string;
  description: string;
  cron: string | null;
  timeZone: string;
  scope: 'tenant' | 'global';
  running: boolean;
  lastRuns: JobRunRow[];
}

/** Runs recorder: tenant runs go to job_runs, global runs to system_job_runs (they belong to no tenant). */
interface Recorder {
  start(): Promise<string>;
  progress(runId: string, done: number, total?: number | null): Promise<void>;
  finish(
    runId: string,
    status: Exclude<JobRunStatus, 'running'>,
    summary: object,
    error?: string,
  ): Promise<void>;
}

/**
 * The one registry of scheduled jobs. Only the scheduler role calls `start()`; any role can list
 * jobs and "run now". Every run, scheduled or manual, takes a Postgres advisory lock named after
 * the job (and tenant), so two replicas never run the same job at once, and leaves a run row
 * with start, end, outcome, progress and error.
 */
export class JobRegistry {
  private readonly jobs = new Map<string, JobDefinition>();
  private readonly tasks = new Map<string, ScheduledTask>();
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(
    private readonly d: {
      ds: DataSource;
      jobRuns: JobRunsService;
      logger: Logger;
      defaultTimeZone: string;
    },
  ) {}

  /** Other modules add their jobs here (at wiring time, before the scheduler starts). */
  register(def: JobDefinition): void {
    if (this.jobs.has(def.name)) throw new Error(`job ${def.name} is registered twice`);
    if (def.cron !== null && !cron.validate(def.cron))
      throw new Error(`job ${def.name}: invalid cron "${def.cron}"`);
    this.jobs.set(def.name, def);
    if (this.tasks.size > 0) this.schedule(def);
  }

  definitions(): JobDefinition[] {
    return [...this.jobs.values()];
  }

  /** Schedules every registered job (scheduler role only). */
  start(): void {
    for (const def of this.jobs.values()) this.schedule(def);
  }

  async stop(): Promise<void> {
    for (const task of this.tasks.values()) await task.destroy();
    this.tasks.clear();
    await this.idle();
  }

  /** Resolves once every run this process started has ended. */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /**
   * What the cron tick does: run the job (for every active organization when per-tenant). A run
   * another replica holds the lock for is skipped, not queued.
   */
  async tick(name: string): Promise<{ ran: number; skipped: number }> {
    const def = this.get(name);
    const tenantIds: (string | null)[] =
      def.scope === 'global'
        ? [null]
        : (await this.d.ds.query(`SELECT id FROM tenants WHERE status = 'active' ORDER BY id`)).map(
            (r: { id: string }) => r.id,
          );
    let ran = 0;
    let skipped = 0;
    for (const tenantId of tenantIds) {
      const outcome = await this.track(this.execute(def, tenantId, 'cron', null));
      if (outcome.acquired) ran++;
      else skipped++;
    }
    if (skipped > 0) this.d.logger.info({ job: name, skipped }, 'job runs skipped: running elsewhere');
    return { ran, skipped };
  }

  /** "Run now" for one organization: answers with the run id once it started; 409 while it runs. */
  runNow(name: string, tenantId: string, requestedBy: string | null): Promise<{ runId: string }> {
    const def = this.get(name);
    if (def.scope === 'global')
      return Promise.reject(
        new ForbiddenError('This job runs for the whole deployment, not for one organization'),
      );
    return new Promise((resolve, reject) => {
      let started = false;
      const run = this.execute(def, tenantId, 'manual', requestedBy, (runId) => {
        started = true;
        resolve({ runId });
      });
      void this.track(run).then(
        (outcome) => {
          if (!outcome.acquired)
            reject(new AppError(ErrorCodes.jobAlreadyRunning, 409, `Job ${name} is already running`));
        },
        (err: unknown) => {
          if (!started) reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  async list(tenantId: string, lastRuns = 5): Promise<RegisteredJob[]> {
    const out: RegisteredJob[] = [];
    for (const def of this.jobs.values()) {
      const runs: JobRunRow[] =
        def.scope === 'tenant'
          ? await this.d.jobRuns.list(tenantId, def.name, lastRuns)
          : await this.d.ds.query(
              `SELECT NULL AS tenant_id, * FROM system_job_runs WHERE job = $1 ORDER BY started_at DESC, id DESC LIMIT $2`,
              [def.name, lastRuns],
            );
      out.push({
        name: def.name,
        description: def.description,
        cron: def.cron,
        timeZone: def.timeZone ?? this.d.defaultTimeZone,
        scope: def.scope,
        running: runs[0]?.status === 'running',
        lastRuns: runs,
      });
    }
    return out;
  }

  private get(name: string): JobDefinition {
    const def = this.jobs.get(name);
    if (!def) throw new NotFoundError('Job');
    return def;
  }

  private schedule(def: JobDefinition): void {
    if (def.cron === null || this.tasks.has(def.name)) return;
    const timeZone = def.timeZone ?? this.d.defaultTimeZone;
    const task = cron.schedule(
      def.cron,
      () =>
        this.tick(def.name).catch((err) => this.d.logger.error({ err, job: def.name }, 'job tick failed')),
      { name: `job:${def.name}`, timezone: timeZone, noOverlap: true, logger: this.cronLogger(def.name) },
    );
    this.tasks.set(def.name, task);
  }

  /** node-cron's own messages (e.g. "blocked by overlap prevention") go to our log, not the console. */
  private cronLogger(job: string) {
    const log = this.d.logger.child({ job, source: 'node-cron' });
    return {
      info: (message: string) => log.debug(message),
      warn: (message: string) => log.info(message),
      error: (message: string | Error, err?: Error) => log.error({ err: err ?? message }, String(message)),
      debug: (message: string | Error) => log.debug(String(message)),
    };
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  private async execute(
    def: JobDefinition,
    tenantId: string | null,
    trigger: JobTrigger,
    requestedBy: string | null,
    onStarted?: (runId: string) => void,
  ): Promise<{ acquired: boolean }> {
    const key = `job:${def.name}:${tenantId ?? 'global'}`;
    const recorder = this.recorder(def, tenantId, trigger, requestedBy);
    const logger = this.d.logger.child({ job: def.name, tenantId });
    const outcome = await withAdvisoryLock(this.d.ds, key, async () => {
      const runId = await recorder.start();
      onStarted?.(runId);
      try {
        const summary = await def.run({
          tenantId,
          runId,
          trigger,
          logger,
          progress: (done, total) => recorder.progress(runId, done, total),
        });
        await recorder.finish(runId, 'succeeded', summary ?? {});
      } catch (err) {
        logger.error({ err }, 'job run failed');
        await recorder.finish(runId, 'failed', {}, err instanceof Error ? err.message : String(err));
      }
    });
    return { acquired: outcome.acquired };
  }

  private recorder(
    def: JobDefinition,
    tenantId: string | null,
    trigger: JobTrigger,
    requestedBy: string | null,
  ): Recorder {
    const { ds, jobRuns } = this.d;
    if (tenantId !== null) {
      return {
        start: () => jobRuns.start(tenantId, def.name, trigger, { requestedBy }),
        progress: (id, done, total) => jobRuns.progress(tenantId, id, done, total),
        finish: (id, status, summary, error) =>
          jobRuns.finish(tenantId, id, status, summary as Record<string, unknown>, error),
      };
    }
    return {
      start: async () =>
        (
          await ds.query(
            `INSERT INTO system_job_runs (job, trigger, status, heartbeat_at) VALUES ($1, $2, 'running', now()) RETURNING id`,
            [def.name, trigger],
          )
        )[0].id,
      progress: async (id, done, total) => {
        await ds.query(
          `UPDATE system_job_runs SET progress_done = $2, progress_total = coalesce($3, progress_total), heartbeat_at = now()
            WHERE id = $1`,
          [id, done, total ?? null],
        );
      },
      finish: async (id, status, summary, error) => {
        await ds.query(
          `UPDATE system_job_runs SET status = $2, summary = summary || $3::jsonb, error = $4, finished_at = now()
            WHERE id = $1`,
          [id, status, JSON.stringify(summary), error ?? null],
        );
      },
    };
  }
}

/**
 * A job of the registry itself: runs whose process died stay "running" forever; mark them failed
 * once their heartbeat is old, and forget runs older than half a year.
 */
export function jobRunsHousekeeping(ds: DataSource): JobDefinition {
  return {
    name: 'jobs.housekeeping',
    description:
      'Marks abandoned job runs failed (no heartbeat for 6 hours) and deletes runs older than 180 days',
    cron: '17 4 * * *',
    scope: 'tenant',
    run: async ({ tenantId, runId }) => {
      const abandoned = await ds.query(
        `UPDATE job_runs SET status = 'failed', error = 'abandoned: no heartbeat for 6 hours', finished_at = now()
          WHERE tenant_id = $1 AND status = 'running' AND id <> $2
            AND coalesce(heartbeat_at, started_at) < now() - interval '6 hours'`,
        [tenantId, runId],
      );
      const deleted = await ds.query(
        `DELETE FROM job_runs WHERE tenant_id = $1 AND started_at < now() - interval '180 days' AND status <> 'running'`,
        [tenantId],
      );
      return { abandoned: Number(abandoned[1] ?? 0), deleted: Number(deleted[1] ?? 0) };
    },
  };
}
