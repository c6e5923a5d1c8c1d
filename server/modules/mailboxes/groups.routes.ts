import { z } from 'zod';
import { Uuid } from '../../../shared/common';
import { GroupList, GroupMembersList, GroupMembersQuery } from '../../../shared/mailboxes/groups';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { GroupsService } from './groups.service';

export function registerGroupRoutes(api: ApiRegistry, groups: GroupsService): void {
  api.route(
    {
      method: 'get',
      path: '/admin/groups',
      summary: 'Mail groups (one per department, plus custom groups) with their addresses and reach',
      tag: 'groups',
      auth: { roles: ['admin', 'auditor'] },
      response: GroupList,
    },
    async ({ actor }) => ({ groups: await groups.list(actor) }),
  );

  api.route(
    {
      method: 'get',
      path: '/admin/groups/:id/members',
      summary: 'Who a group reaches: its department and all sub-departments, computed from the tree',
      tag: 'groups',
      auth: { roles: ['admin', 'auditor'] },
      params: z.object({ id: Uuid }),
      query: GroupMembersQuery,
      response: GroupMembersList,
    },
    ({ actor, params, query }) => groups.members(actor, params.id, query),
  );
}
