import { z } from 'zod';
import { Uuid } from '../../../shared/common';
import { JobRunDto, JobRunStarted, RegisteredJobList } from '../../../shared/rules/api';
import { NotFoundError } from '../../platform/errors';
import { hasRole } from '../../platform/http/actor';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { JobRegistry } from './job-registry';
import type { JobRunRow, JobRunsService } from './job-runs.service';

export function presentJobRun(row: JobRunRow): JobRunDto {
  return {
    id: row.id,
    job: row.job,
    trigger: row.trigger,
    status: row.status,
    progressDone: row.progress_done,
    progressTotal: row.progress_total,
    summary: row.summary ?? {},
    error: row.error,
    startedAt: new Date(row.started_at).toISOString(),
    finishedAt: row.finished_at ? new Date(row.finished_at).toISOString() : null,
  };
}

const JobName = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, { error: 'not a job name' }),
});

export function registerJobRoutes(
  api: ApiRegistry,
  d: { registry: JobRegistry; jobRuns: JobRunsService },
): void {
  api.route(
    {
      method: 'get',
      path: '/admin/jobs',
      summary: 'Registered background jobs: schedule, time zone, whether running, last runs',
      tag: 'jobs',
      auth: { roles: ['admin'] },
      response: RegisteredJobList,
    },
    async ({ actor }) => {
      const jobs = await d.registry.list(actor.tenantId);
      return { jobs: jobs.map((j) => ({ ...j, lastRuns: j.lastRuns.map(presentJobRun) })) };
    },
  );

  api.route(
    {
      method: 'post',
      path: '/admin/jobs/:name/run',
      summary: 'Run a job now for this organization (202 with the run id; 409 while it is running)',
      tag: 'jobs',
      auth: { roles: ['admin'] },
      params: JobName,
      response: JobRunStarted,
      status: 202,
    },
    ({ actor, params }) => d.registry.runNow(params.name, actor.tenantId, actor.memberId),
  );

  api.route(
    {
      method: 'get',
      path: '/jobs/:runId',
      summary:
        'Progress and outcome of a background run the caller started (admins: any run of the organization)',
      tag: 'jobs',
      auth: {},
      params: z.object({ runId: Uuid }),
      response: JobRunDto,
    },
    async ({ actor, params }) => {
      const run = await d.jobRuns.get(actor.tenantId, params.runId);
      if (!run || (run.requested_by !== actor.memberId && !hasRole(actor, 'admin')))
        throw new NotFoundError('Job run');
      return presentJobRun(run);
    },
  );
}
