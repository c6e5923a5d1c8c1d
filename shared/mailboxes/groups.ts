import { z } from 'zod';
import { Uuid } from '../common';

export const GroupSendPolicy = z.enum(['anyone', 'internal', 'members', 'listed']);
export type GroupSendPolicy = z.infer<typeof GroupSendPolicy>;

export const GroupDto = z
  .object({
    id: Uuid,
    kind: z.enum(['department', 'custom']),
    name: z.string(),
    address: z.string(),
    departmentExternalId: z.string().nullable(),
    includeSubdepartments: z.boolean(),
    sendPolicy: GroupSendPolicy,
    memberCount: z.number().int(),
  })
  .meta({ id: 'Group' });
export type GroupDto = z.infer<typeof GroupDto>;

export const GroupList = z.object({ groups: z.array(GroupDto) }).meta({ id: 'GroupList' });

export const GroupListQuery = z.object({
  /** Only department groups, or only custom groups (the console's custom-groups tab). */
  kind: z.enum(['department', 'custom']).optional(),
});

export const GroupMemberDto = z
  .object({
    id: Uuid,
    displayName: z.string(),
    email: z.string().nullable(),
    externalId: z.string().nullable(),
  })
  .meta({ id: 'GroupMember' });
export const GroupMembersList = z
  .object({ members: z.array(GroupMemberDto), nextCursor: z.string().nullable() })
  .meta({ id: 'GroupMembersList' });

export const GroupMembersQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** Opaque: the last member id of the previous page (keyset paging). */
  cursor: z.uuid().optional(),
});
