import type { DataSource } from 'typeorm';
import { DirectoryEventDetailDto } from '../../../shared/directory/event-detail';
import { DirectoryEventParams } from '../../../shared/directory/sync';
import { ForbiddenError, NotFoundError } from '../../platform/errors';
import { hasRole, type Actor } from '../../platform/http/actor';
import type { ApiRegistry } from '../../platform/http/api-router';

/** One stored directory event with its payload, for the console's event log (admins and auditors). */
export class DirectoryEventDetails {
  constructor(private readonly ds: DataSource) {}

  async get(actor: Actor, id: string): Promise<DirectoryEventDetailDto> {
    if (!hasRole(actor, 'admin', 'auditor')) throw new ForbiddenError();
    const [e] = await this.ds.query(
      `SELECT id::text, event_type, user_ids, dept_ids, status, attempts, last_error, received_at, processed_at,
              next_attempt_at, payload
         FROM directory_events WHERE tenant_id = $1 AND id = $2`,
      [actor.tenantId, id],
    );
    if (!e) throw new NotFoundError('Event');
    return {
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
      payload: e.payload ?? {},
    };
  }
}

export function registerDirectoryEventDetailRoutes(api: ApiRegistry, details: DirectoryEventDetails): void {
  api.route(
    {
      method: 'get',
      path: '/admin/directory/events/:id',
      summary: 'One DingTalk contact event with the payload it carried',
      tag: 'directory',
      auth: { roles: ['admin', 'auditor'] },
      params: DirectoryEventParams,
      response: DirectoryEventDetailDto,
    },
    ({ actor, params }) => details.get(actor, params.id),
  );
}
