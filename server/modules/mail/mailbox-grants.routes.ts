import { z } from 'zod';
import { Uuid } from '../../../shared/common';
import {
  CreateGrantBody,
  ListGrantsQuery,
  MailboxGrantDto,
  MailboxGrantList,
} from '../../../shared/mail/grants';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { MailboxGrantsService } from './mailbox-grants.service';

export function registerMailboxGrantRoutes(api: ApiRegistry, grants: MailboxGrantsService): void {
  api.route(
    {
      method: 'get',
      path: '/admin/mailbox-grants',
      summary: "Who may open whose mailbox (an assistant reading a manager's mail, a shared inbox)",
      tag: 'mailbox-grants',
      auth: { roles: ['admin', 'auditor'] },
      query: ListGrantsQuery,
      response: MailboxGrantList,
    },
    async ({ actor, query }) => ({ grants: await grants.list(actor, query) }),
  );

  api.route(
    {
      method: 'post',
      path: '/admin/mailbox-grants',
      summary: "Grant a member read or full access to a mailbox (or change an existing grant's access)",
      tag: 'mailbox-grants',
      auth: { roles: ['admin'] },
      body: CreateGrantBody,
      response: MailboxGrantDto,
      status: 201,
    },
    ({ actor, body, ctx }) => grants.grant(actor, body, ctx),
  );

  api.route(
    {
      method: 'delete',
      path: '/admin/mailbox-grants/:id',
      summary: 'Revoke a grant',
      tag: 'mailbox-grants',
      auth: { roles: ['admin'] },
      params: z.object({ id: Uuid }),
      response: null,
    },
    ({ actor, params, ctx }) => grants.revoke(actor, params.id, ctx),
  );
}
