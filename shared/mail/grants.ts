import { z } from 'zod';
import { Timestamp, Uuid } from '../common';

/** `read`: see the mailbox; `full`: also flag, move, delete. */
export const GrantAccess = z.enum(['read', 'full']);
export type GrantAccess = z.infer<typeof GrantAccess>;

export const MailboxGrantDto = z
  .object({
    id: Uuid,
    mailboxId: Uuid,
    mailboxAddress: z.string(),
    memberId: Uuid,
    memberName: z.string(),
    access: GrantAccess,
    /** Time-boxed access (an auditor's): gone after this; every read through it is audited. */
    expiresAt: Timestamp.nullable(),
    createdAt: Timestamp,
  })
  .meta({ id: 'MailboxGrant' });
export type MailboxGrantDto = z.infer<typeof MailboxGrantDto>;

export const MailboxGrantList = z
  .object({ grants: z.array(MailboxGrantDto) })
  .meta({ id: 'MailboxGrantList' });

export const ListGrantsQuery = z.object({ mailboxId: Uuid.optional(), memberId: Uuid.optional() });
export type ListGrantsQuery = z.infer<typeof ListGrantsQuery>;

/** Grants (or changes) one member's access to one mailbox. */
export const CreateGrantBody = z.object({
  mailboxId: Uuid,
  memberId: Uuid,
  access: GrantAccess,
  /** Until when (required, with `read`, for auditors); every read through such a grant is audited. */
  expiresAt: Timestamp.optional(),
});
export type CreateGrantBody = z.infer<typeof CreateGrantBody>;
