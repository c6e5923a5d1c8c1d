import { IdParams } from '../../../shared/common';
import { AutoReplyBody, AutoReplyDto } from '../../../shared/mail/vacation';
import {
  DeletedMailboxDto,
  DeleteMailboxBody,
  ForwardingBody,
  ForwardingDto,
  MemberAppPasswordList,
  RevokedCount,
} from '../../../shared/member-ops/member-ops';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { MemberOpsService } from './member-ops.service';

const TAG = 'members';

/** The member drawer's actions: admins change, auditors read. */
export function registerMemberOpsRoutes(api: ApiRegistry, ops: MemberOpsService): void {
  api.route(
    {
      method: 'get',
      path: '/admin/members/:id/app-passwords',
      summary: "A member's live app passwords (names and last use; never the passwords)",
      tag: TAG,
      auth: { roles: ['admin', 'auditor'] },
      params: IdParams,
      response: MemberAppPasswordList,
    },
    ({ actor, params }) => ops.appPasswords(actor, params.id),
  );
  api.route(
    {
      method: 'post',
      path: '/admin/members/:id/app-passwords/revoke',
      summary: 'Revoke every app password of a member (their mail clients must sign in again; audited)',
      tag: TAG,
      auth: { roles: ['admin'] },
      params: IdParams,
      response: RevokedCount,
    },
    ({ actor, params, ctx }) => ops.revokeAppPasswords(actor, params.id, ctx),
  );
  api.route(
    {
      method: 'post',
      path: '/admin/members/:id/sessions/revoke',
      summary:
        'Sign a member out everywhere: every H5 and console session ends on its next request (audited)',
      tag: TAG,
      auth: { roles: ['admin'] },
      params: IdParams,
      response: null,
    },
    ({ actor, params, ctx }) => ops.endSessions(actor, params.id, ctx),
  );
  api.route(
    {
      method: 'get',
      path: '/admin/members/:id/auto-reply',
      summary: "A member's vacation auto-reply",
      tag: TAG,
      auth: { roles: ['admin', 'auditor'] },
      params: IdParams,
      response: AutoReplyDto,
    },
    ({ actor, params }) => ops.autoReply(actor, params.id),
  );
  api.route(
    {
      method: 'put',
      path: '/admin/members/:id/auto-reply',
      summary: "Set a member's vacation auto-reply on their behalf (audited)",
      tag: TAG,
      auth: { roles: ['admin'] },
      params: IdParams,
      body: AutoReplyBody,
      response: AutoReplyDto,
    },
    ({ actor, params, body, ctx }) => ops.setAutoReply(actor, params.id, body, ctx),
  );
  api.route(
    {
      method: 'get',
      path: '/admin/members/:id/forwarding',
      summary: "A member's forwarding set by an admin",
      tag: TAG,
      auth: { roles: ['admin', 'auditor'] },
      params: IdParams,
      response: ForwardingDto,
    },
    ({ actor, params }) => ops.forwarding(actor, params.id),
  );
  api.route(
    {
      method: 'put',
      path: '/admin/members/:id/forwarding',
      summary: "Forward a member's incoming mail to an address, keeping a copy or not (audited)",
      tag: TAG,
      auth: { roles: ['admin'] },
      params: IdParams,
      body: ForwardingBody,
      response: ForwardingDto,
    },
    ({ actor, params, body, ctx }) => ops.setForwarding(actor, params.id, body, ctx),
  );
  api.route(
    {
      method: 'post',
      path: '/admin/members/:id/delete-mailbox',
      summary:
        "Delete a member's mailbox, given a finished export of it made after its last message (409 otherwise)",
      tag: TAG,
      auth: { roles: ['admin'] },
      params: IdParams,
      body: DeleteMailboxBody,
      response: DeletedMailboxDto,
    },
    ({ actor, params, body, ctx }) => ops.deleteMailbox(actor, params.id, body.exportId, ctx),
  );
}
