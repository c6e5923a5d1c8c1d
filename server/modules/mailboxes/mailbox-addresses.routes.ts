import { IdParams } from '../../../shared/common';
import {
  AddAliasBody,
  MailboxAddressesDto,
  MemberAliasParams,
  SetPrimaryAddressBody,
} from '../../../shared/mailboxes/mailbox-address';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { MailboxAddresses, MailboxAddressesService } from './mailbox-addresses.service';

export function registerMailboxAddressRoutes(api: ApiRegistry, addresses: MailboxAddressesService): void {
  api.route(
    {
      method: 'get',
      path: '/admin/members/:id/addresses',
      summary: "A member's mailbox address and its aliases",
      tag: 'mailboxes',
      auth: { roles: ['admin', 'auditor'] },
      params: IdParams,
      response: MailboxAddressesDto,
    },
    async ({ actor, params }) => presentMailboxAddresses(await addresses.get(actor, params.id)),
  );

  api.route(
    {
      method: 'put',
      path: '/admin/members/:id/address',
      summary: "Change a member's primary address; the old one stays on as an alias",
      tag: 'mailboxes',
      auth: { roles: ['admin'] },
      params: IdParams,
      body: SetPrimaryAddressBody,
      response: MailboxAddressesDto,
    },
    async ({ actor, params, body, ctx }) =>
      presentMailboxAddresses(await addresses.setPrimary(actor, params.id, body.localPart, ctx)),
  );

  api.route(
    {
      method: 'post',
      path: '/admin/members/:id/aliases',
      summary: "Add an alias to a member's mailbox",
      tag: 'mailboxes',
      auth: { roles: ['admin'] },
      params: IdParams,
      body: AddAliasBody,
      response: MailboxAddressesDto,
      status: 201,
    },
    async ({ actor, params, body, ctx }) =>
      presentMailboxAddresses(await addresses.addAlias(actor, params.id, body.localPart, ctx)),
  );

  api.route(
    {
      method: 'delete',
      path: '/admin/members/:id/aliases/:aliasId',
      summary: "Remove an alias from a member's mailbox",
      tag: 'mailboxes',
      auth: { roles: ['admin'] },
      params: MemberAliasParams,
      response: null,
    },
    ({ actor, params, ctx }) => addresses.removeAlias(actor, params.id, params.aliasId, ctx),
  );
}

export function presentMailboxAddresses(a: MailboxAddresses): MailboxAddressesDto {
  return {
    mailboxId: a.mailboxId,
    memberId: a.memberId,
    primary: a.primary,
    aliases: a.aliases.map((alias) => ({
      id: alias.id,
      address: alias.address,
      createdAt: alias.createdAt.toISOString(),
    })),
  };
}
