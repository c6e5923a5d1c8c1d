import { IdParams } from '../../../shared/common';
import {
  AdminMemberDto,
  AdminMemberPage,
  AdminMemberQuery,
  SetQuotaBody,
  SuspendSignInBody,
} from '../../../shared/directory/admin-members';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { AdminMembersService } from './admin-members.service';

export function registerAdminMemberRoutes(api: ApiRegistry, members: AdminMembersService): void {
  api.route(
    {
      method: 'get',
      path: '/admin/members',
      summary:
        'Members with their mailboxes: search by name, pinyin, initials or address; filter by department and status',
      tag: 'members',
      auth: { roles: ['admin', 'auditor'] },
      query: AdminMemberQuery,
      response: AdminMemberPage,
    },
    ({ actor, query }) => members.list(actor, query),
  );

  api.route(
    {
      method: 'get',
      path: '/admin/members/:id',
      summary: 'One member with departments, mailbox, quota use and sign-in state',
      tag: 'members',
      auth: { roles: ['admin', 'auditor'] },
      params: IdParams,
      response: AdminMemberDto,
    },
    ({ actor, params }) => members.get(actor, params.id),
  );

  api.route(
    {
      method: 'put',
      path: '/admin/members/:id/quota',
      summary: "Set a member's mailbox quota",
      tag: 'members',
      auth: { roles: ['admin'] },
      params: IdParams,
      body: SetQuotaBody,
      response: AdminMemberDto,
    },
    ({ actor, params, body, ctx }) => members.setQuota(actor, params.id, body.quotaBytes, ctx),
  );

  api.route(
    {
      method: 'post',
      path: '/admin/members/:id/suspend-signin',
      summary: "Suspend a member's sign-in (their mail keeps arriving; a directory sync does not undo it)",
      tag: 'members',
      auth: { roles: ['admin'] },
      params: IdParams,
      body: SuspendSignInBody,
      response: AdminMemberDto,
    },
    ({ actor, params, body, ctx }) => members.suspendSignIn(actor, params.id, body.reason, ctx),
  );

  api.route(
    {
      method: 'post',
      path: '/admin/members/:id/restore-signin',
      summary: "Restore a member's sign-in",
      tag: 'members',
      auth: { roles: ['admin'] },
      params: IdParams,
      response: AdminMemberDto,
    },
    ({ actor, params, ctx }) => members.restoreSignIn(actor, params.id, ctx),
  );
}
