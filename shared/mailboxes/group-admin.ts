import { z } from 'zod';
import { Timestamp, Uuid } from '../common';
import { LocalPart } from '../directory/address-template';
import { GroupDto, GroupSendPolicy } from './groups';

/**
 * The console's departments-and-groups screens: the department tree, one group in full, and an
 * admin's changes (send policy with listed senders, custom groups, group aliases).
 */

export const MAX_GROUP_ENTRIES = 500;

/** A department of the tree, flat: the client builds the tree from `parentId`. */
export const DepartmentNodeDto = z
  .object({
    id: z.string(),
    parentId: z.string().nullable(),
    name: z.string(),
    order: z.number(),
    /** Active members placed directly in this department. */
    directMembers: z.number().int(),
    /** Active members of this department and every sub-department (each person once). */
    totalMembers: z.number().int(),
    groupId: Uuid.nullable(),
    groupAddress: z.string().nullable(),
  })
  .meta({ id: 'DepartmentNode' });
export type DepartmentNodeDto = z.infer<typeof DepartmentNodeDto>;

export const DepartmentTree = z
  .object({ departments: z.array(DepartmentNodeDto) })
  .meta({ id: 'DepartmentTree' });

/** A person or a department (with or without its sub-departments) in a custom group or a sender list. */
export const GroupEntryInput = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('member'), memberId: Uuid }),
  z.object({
    kind: z.literal('department'),
    departmentId: z.string().trim().min(1).max(100),
    includeSubdepartments: z.boolean().default(true),
  }),
]);
export type GroupEntryInput = z.infer<typeof GroupEntryInput>;

const Entries = z.array(GroupEntryInput).max(MAX_GROUP_ENTRIES);

export const GroupEntryDto = z
  .object({
    kind: z.enum(['member', 'department']),
    /** Member id or department (external) id. */
    id: z.string(),
    name: z.string(),
    /** The person's address; null for departments. */
    address: z.string().nullable(),
    includeSubdepartments: z.boolean(),
  })
  .meta({ id: 'GroupEntry' });
export type GroupEntryDto = z.infer<typeof GroupEntryDto>;

export const GroupAliasDto = z
  .object({ id: Uuid, address: z.string(), createdAt: Timestamp })
  .meta({ id: 'GroupAlias' });

export const GroupDetailDto = GroupDto.extend({
  /** Department groups: members of the department itself only. Custom groups: same as memberCount. */
  directMemberCount: z.number().int(),
  aliases: z.array(GroupAliasDto),
  /** Who may send when the policy is "listed". */
  senders: z.array(GroupEntryDto),
  /** Custom groups: who the group reaches. Department groups: empty (the tree decides). */
  entries: z.array(GroupEntryDto),
}).meta({ id: 'GroupDetail' });
export type GroupDetailDto = z.infer<typeof GroupDetailDto>;

function listedNeedsSenders(body: { sendPolicy?: string; senders?: unknown[] }, ctx: z.RefinementCtx): void {
  if (body.sendPolicy === 'listed' && body.senders !== undefined && body.senders.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['senders'], message: 'List at least one person or department' });
  }
}

/** Only the fields given change. `name` and `entries` apply to custom groups only. */
export const UpdateGroupBody = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    sendPolicy: GroupSendPolicy.optional(),
    /** Replaces the list of allowed senders (used when the policy is "listed"). */
    senders: Entries.optional(),
    /** Department groups: whether members of sub-departments are reached too. */
    includeSubdepartments: z.boolean().optional(),
    entries: Entries.optional(),
  })
  .superRefine(listedNeedsSenders)
  .meta({ id: 'UpdateGroupBody' });
export type UpdateGroupBody = z.infer<typeof UpdateGroupBody>;

export const CreateGroupBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    /** On the organization's primary domain. */
    localPart: LocalPart,
    entries: Entries.min(1, { error: 'Add at least one person or department' }),
    sendPolicy: GroupSendPolicy.default('internal'),
    senders: Entries.default([]),
  })
  .superRefine(listedNeedsSenders)
  .meta({ id: 'CreateGroupBody' });
export type CreateGroupBody = z.infer<typeof CreateGroupBody>;

export const AddGroupAliasBody = z.object({ localPart: LocalPart }).meta({ id: 'AddGroupAliasBody' });

export const GroupAliasParams = z.object({ id: Uuid, aliasId: Uuid });
