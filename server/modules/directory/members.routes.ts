import { MemberSummaryDto } from '../../../shared/auth';
import { IdParams } from '../../../shared/common';
import type { ApiRegistry } from '../../platform/http/api-router';
import { presentMemberSummary } from './member.presenter';
import type { MembersService } from './members.service';

export function registerMemberRoutes(api: ApiRegistry, members: MembersService): void {
  api.route(
    {
      method: 'get',
      path: '/me',
      summary: 'The signed-in member',
      tag: 'auth',
      auth: { allowEnrollScope: true },
      response: MemberSummaryDto,
    },
    async ({ actor }) => presentMemberSummary(await members.get(actor, actor.memberId)),
  );

  api.route(
    {
      method: 'get',
      path: '/members/:id',
      summary: 'One member of your organization',
      tag: 'members',
      auth: { roles: ['admin', 'auditor'] },
      params: IdParams,
      response: MemberSummaryDto,
    },
    async ({ actor, params }) => presentMemberSummary(await members.get(actor, params.id)),
  );
}
