import { z } from 'zod';
import { Uuid } from '../../../shared/common';
import {
  AddGroupAliasBody,
  CreateGroupBody,
  DepartmentTree,
  GroupAliasParams,
  GroupDetailDto,
  UpdateGroupBody,
} from '../../../shared/mailboxes/group-admin';
import {
  GroupList,
  GroupListQuery,
  GroupMembersList,
  GroupMembersQuery,
} from '../../../shared/mailboxes/groups';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { GroupAdminService } from './group-admin.service';
import type { GroupsService } from './groups.service';

const read = { roles: ['admin' as const, 'auditor' as const] };
const write = { roles: ['admin' as const] };
const tag = 'groups';
const IdParams = z.object({ id: Uuid });

export function registerGroupRoutes(api: ApiRegistry, groups: GroupsService, admin: GroupAdminService): void {
  api.route(
    {
      method: 'get',
      path: '/admin/departments',
      summary: 'Every department (flat, with parent ids) with member counts and its group address',
      tag,
      auth: read,
      response: DepartmentTree,
    },
    async ({ actor }) => ({ departments: await groups.departments(actor) }),
  );

  api.route(
    {
      method: 'get',
      path: '/admin/groups',
      summary: 'Mail groups (one per department, plus custom groups) with their addresses and reach',
      tag,
      auth: read,
      query: GroupListQuery,
      response: GroupList,
    },
    async ({ actor, query }) => ({ groups: await groups.list(actor, query.kind) }),
  );

  api.route(
    {
      method: 'get',
      path: '/admin/groups/:id',
      summary: 'One group: counts with and without sub-departments, aliases, who may send, entries',
      tag,
      auth: read,
      params: IdParams,
      response: GroupDetailDto,
    },
    ({ actor, params }) => groups.detail(actor, params.id),
  );

  api.route(
    {
      method: 'get',
      path: '/admin/groups/:id/members',
      summary: 'Who a group reaches: its department and all sub-departments, computed from the tree',
      tag,
      auth: read,
      params: IdParams,
      query: GroupMembersQuery,
      response: GroupMembersList,
    },
    ({ actor, params, query }) => groups.members(actor, params.id, query),
  );

  api.route(
    {
      method: 'post',
      path: '/admin/groups',
      summary: 'Create a custom group (people and/or departments) with an address on the primary domain',
      tag,
      auth: write,
      body: CreateGroupBody,
      response: GroupDetailDto,
      status: 201,
    },
    ({ actor, body, ctx }) => admin.create(actor, body, ctx),
  );

  api.route(
    {
      method: 'patch',
      path: '/admin/groups/:id',
      summary: 'Change who may send (with the listed people/departments), the name or members of a group',
      tag,
      auth: write,
      params: IdParams,
      body: UpdateGroupBody,
      response: GroupDetailDto,
    },
    ({ actor, params, body, ctx }) => admin.update(actor, params.id, body, ctx),
  );

  api.route(
    {
      method: 'delete',
      path: '/admin/groups/:id',
      summary: 'Delete a custom group and its addresses (department groups follow the directory)',
      tag,
      auth: write,
      params: IdParams,
      response: null,
    },
    ({ actor, params, ctx }) => admin.remove(actor, params.id, ctx),
  );

  api.route(
    {
      method: 'post',
      path: '/admin/groups/:id/aliases',
      summary: 'Add an alias address to a group (never one a mailbox or another group holds)',
      tag,
      auth: write,
      params: IdParams,
      body: AddGroupAliasBody,
      response: GroupDetailDto,
      status: 201,
    },
    ({ actor, params, body, ctx }) => admin.addAlias(actor, params.id, body.localPart, ctx),
  );

  api.route(
    {
      method: 'delete',
      path: '/admin/groups/:id/aliases/:aliasId',
      summary: "Remove a group alias (the group's own address stays)",
      tag,
      auth: write,
      params: GroupAliasParams,
      response: null,
    },
    ({ actor, params, ctx }) => admin.removeAlias(actor, params.id, params.aliasId, ctx),
  );
}
