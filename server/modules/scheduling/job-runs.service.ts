import type { DataSource } from 'typeorm';
import type { JobRunStatus, JobTrigger } from './job-run.entity';

/**
 * Records background runs with live progress. Writes go straight to the pool (autocommit), not
 * through the run's own transactions, so progress is visible while the work is still going on.
 */
export class JobRunsService {
  constructor(private readonly ds: DataSource) {}

  async start(
    tenantId: string,
    job: string,
    trigger: JobTrigger,
    opts: { requestedBy?: string | null; total?: number | null; summary?: Record<string, unknown> } = {},
  ): Promise<string> {
    const [row] = await this.ds.query(
      `INSERT INTO job_runs (tenant_id, job, trigger, status, progress_total, requested_by, summary, heartbeat_at)
       VALUES ($1, $2, $3, 'running', $4, $5, $6, now()) RETURNING id`,
      [
        tenantId,
        job,
        trigger,
        opts.total ?? null,
        opts.requestedBy ?? null,
        JSON.stringify(opts.summary ?? {}),
      ],
    );
    return row.id;
  }

  async progress(
    tenantId: string,
    id: string,
    done: number,
    total?: number | null,
    phase?: string,
  ): Promise<void> {
    await this.ds.query(
      `UPDATE job_runs SET progress_done = $3, progress_total = coalesce($4, progress_total), heartbeat_at = now(),
              summary = CASE WHEN $5::text IS NULL THEN summary ELSE summary || jsonb_build_object('phase', $5::text) END
        WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id, done, total ?? null, phase ?? null],
    );
  }

  async finish(
    tenantId: string,
    id: string,
    status: Exclude<JobRunStatus, 'running'>,
    summary: Record<string, unknown>,
    error?: string,
  ): Promise<void> {
    await this.ds.query(
      `UPDATE job_runs SET status = $3, summary = summary || $4::jsonb, error = $5, finished_at = now(), heartbeat_at = now()
        WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id, status, JSON.stringify(summary), error ?? null],
    );
  }

  async get(tenantId: string, id: string) {
    const [row] = await this.ds.query(`SELECT * FROM job_runs WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      id,
    ]);
    return row as JobRunRow | undefined;
  }

  async list(tenantId: string, job: string, limit = 20): Promise<JobRunRow[]> {
    return this.ds.query(
      `SELECT * FROM job_runs WHERE tenant_id = $1 AND job = $2 ORDER BY started_at DESC, id DESC LIMIT $3`,
      [tenantId, job, limit],
    );
  }
}

export interface JobRunRow {
  tenant_id: string;
  id: string;
  job: string;
  trigger: JobTrigger;
  status: JobRunStatus;
  progress_done: number;
  progress_total: number | null;
  summary: Record<string, unknown>;
  error: string | null;
  requested_by: string | null;
  started_at: Date;
  finished_at: Date | null;
}
