import { IdParams } from '../../../shared/common';
import {
  DirectoryEventList,
  DirectoryEventParams,
  DirectoryEventQuery,
  StartSyncBody,
  SyncRunDto,
  SyncRunList,
  SyncStarted,
} from '../../../shared/directory/sync';
import { SyncPolicy } from '../../../shared/directory/sync-policy';
import { NotFoundError } from '../../platform/errors';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { JobRunsService } from '../scheduling';
import type { DirectoryEventsService } from './directory-events.service';
import type { DirectorySyncService } from './directory-sync.service';
import { SYNC_JOB } from './directory-sync.service';
import type { SyncPolicyService } from './sync-policy.service';
import { presentSyncRun } from './sync-run.presenter';

export function registerSyncRoutes(
  api: ApiRegistry,
  s: {
    sync: DirectorySyncService;
    jobRuns: JobRunsService;
    policy: SyncPolicyService;
    events: DirectoryEventsService;
  },
): void {
  api.route(
    {
      method: 'get',
      path: '/admin/directory/events',
      summary: 'DingTalk contact events as received, newest first, with their processing state',
      tag: 'directory',
      auth: { roles: ['admin', 'auditor'] },
      query: DirectoryEventQuery,
      response: DirectoryEventList,
    },
    async ({ actor, query }) => {
      const page = await s.events.list(actor.tenantId, query);
      return {
        nextCursor: page.nextCursor,
        events: page.events.map((e) => ({
          id: e.id,
          type: e.event_type,
          userIds: e.user_ids,
          deptIds: e.dept_ids,
          status: e.status,
          attempts: e.attempts,
          lastError: e.last_error,
          receivedAt: e.received_at.toISOString(),
          processedAt: e.processed_at?.toISOString() ?? null,
          nextAttemptAt: e.status === 'pending' ? (e.next_attempt_at?.toISOString() ?? null) : null,
        })),
      };
    },
  );

  api.route(
    {
      method: 'post',
      path: '/admin/directory/events/:id/retry',
      summary: 'Queue a failed event again',
      tag: 'directory',
      auth: { roles: ['admin'] },
      params: DirectoryEventParams,
      response: null,
    },
    async ({ actor, params }) => {
      if (!(await s.events.retry(actor.tenantId, params.id))) throw new NotFoundError('Failed event');
    },
  );

  api.route(
    {
      method: 'post',
      path: '/admin/directory/sync',
      summary: 'Start a full directory sync (or a dry run that only plans); poll the run for progress',
      tag: 'directory',
      auth: { roles: ['admin'] },
      body: StartSyncBody,
      response: SyncStarted,
      status: 202,
    },
    async ({ actor, body }) => {
      const { runId } = await s.sync.startFullSync(actor.tenantId, {
        trigger: 'manual',
        dryRun: body.dryRun,
        requestedBy: actor.memberId,
      });
      return { runId };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/admin/directory/sync/runs',
      summary: 'Recent sync runs, newest first',
      tag: 'directory',
      auth: { roles: ['admin', 'auditor'] },
      response: SyncRunList,
    },
    async ({ actor }) => ({
      runs: (await s.jobRuns.list(actor.tenantId, SYNC_JOB)).map((r) => presentSyncRun(r)),
    }),
  );

  api.route(
    {
      method: 'get',
      path: '/admin/directory/sync/runs/:id',
      summary: 'One sync run with its planned changes',
      tag: 'directory',
      auth: { roles: ['admin', 'auditor'] },
      params: IdParams,
      response: SyncRunDto,
    },
    async ({ actor, params }) => {
      const run = await s.jobRuns.get(actor.tenantId, params.id);
      if (!run || run.job !== SYNC_JOB) throw new NotFoundError('Sync run');
      return presentSyncRun(run, true);
    },
  );

  api.route(
    {
      method: 'post',
      path: '/admin/directory/sync/runs/:id/confirm',
      summary: 'Confirm a run the safeguard held (mass suspension); a new run applies it',
      tag: 'directory',
      auth: { roles: ['admin'] },
      params: IdParams,
      response: SyncStarted,
      status: 202,
    },
    async ({ actor, params }) => {
      const { runId } = await s.sync.startConfirmHeld(actor.tenantId, params.id, actor.memberId);
      return { runId };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/admin/directory/sync-policy',
      summary: 'Address template, safeguard thresholds and retention',
      tag: 'directory',
      auth: { roles: ['admin', 'auditor'] },
      response: SyncPolicy,
    },
    ({ actor }) => s.policy.get(actor),
  );

  api.route(
    {
      method: 'put',
      path: '/admin/directory/sync-policy',
      summary: 'Change the address template, safeguard thresholds or retention',
      tag: 'directory',
      auth: { roles: ['admin'] },
      body: SyncPolicy,
      response: SyncPolicy,
    },
    ({ actor, body, ctx }) => s.policy.update(actor, body, ctx),
  );
}
