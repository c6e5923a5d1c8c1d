import { QuarantinePage, QuarantineQuery, QuarantineReleased } from '../../../shared/antispam/quarantine';
import { IdParams } from '../../../shared/common';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { QuarantineService } from './quarantine.service';

export function registerQuarantineRoutes(api: ApiRegistry, quarantine: QuarantineService): void {
  api.route(
    {
      method: 'get',
      path: '/admin/quarantine',
      summary: "Mail the spam filter put in Junk, across the organization's mailboxes, newest first",
      tag: 'mail',
      auth: { roles: ['admin', 'auditor'] },
      query: QuarantineQuery,
      response: QuarantinePage,
    },
    ({ actor, query }) => quarantine.list(actor, query),
  );
  api.route(
    {
      method: 'post',
      path: '/admin/quarantine/:id/release',
      summary: "Release a quarantined message to its recipient's Inbox (audited)",
      tag: 'mail',
      auth: { roles: ['admin'] },
      params: IdParams,
      response: QuarantineReleased,
    },
    ({ actor, params, ctx }) => quarantine.release(actor, params.id, ctx),
  );
  api.route(
    {
      method: 'delete',
      path: '/admin/quarantine/:id',
      summary: 'Delete a quarantined message for good (audited)',
      tag: 'mail',
      auth: { roles: ['admin'] },
      params: IdParams,
      response: null,
    },
    ({ actor, params, ctx }) => quarantine.remove(actor, params.id, ctx),
  );
}
