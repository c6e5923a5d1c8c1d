import { z } from 'zod';
import { Uuid } from '../common';

/** Roles of the system folders every mailbox has; the UI names them (收件箱 / Inbox …) by role. */
export const FolderRole = z.enum(['inbox', 'sent', 'drafts', 'scheduled', 'trash', 'junk', 'archive']);
export type FolderRole = z.infer<typeof FolderRole>;

/** `mailboxId` picks a mailbox an admin granted the caller access to; omitted = the caller's own. */
export const MailboxQuery = z.object({ mailboxId: Uuid.optional() });
export type MailboxQuery = z.infer<typeof MailboxQuery>;

/** `1`/`true` or `0`/`false` in a query string. */
export const QueryFlag = z
  .enum(['1', '0', 'true', 'false'], { error: 'expected 1, 0, true or false' })
  .transform((v) => v === '1' || v === 'true');

/** Letters of any script, digits, spaces and ordinary punctuation; no "/" (paths) and no control characters. */
export const FolderName = z
  .string()
  .trim()
  .min(1, { error: 'a folder needs a name' })
  .max(100, { error: 'at most 100 characters' })
  .refine((v) => !/[/\\\p{Cc}\p{Cf}]/u.test(v), { error: 'no "/", "\\" or control characters' });

export const FolderDto = z
  .object({
    id: Uuid,
    parentId: Uuid.nullable(),
    name: z.string(),
    /** Set for system folders (never deletable); null for the member's own folders. */
    role: FolderRole.nullable(),
    total: z.number().int(),
    unread: z.number().int(),
  })
  .meta({ id: 'Folder' });
export type FolderDto = z.infer<typeof FolderDto>;

export const FolderList = z.object({ folders: z.array(FolderDto) }).meta({ id: 'FolderList' });
export type FolderList = z.infer<typeof FolderList>;

export const CreateFolderBody = z.object({ name: FolderName, parentId: Uuid.nullable().optional() });
export type CreateFolderBody = z.infer<typeof CreateFolderBody>;

/** Rename and/or move; `parentId: null` moves to the top level. */
export const UpdateFolderBody = z
  .object({ name: FolderName.optional(), parentId: Uuid.nullable().optional() })
  .refine((b) => b.name !== undefined || b.parentId !== undefined, { error: 'nothing to change' });
export type UpdateFolderBody = z.infer<typeof UpdateFolderBody>;

export const EmptyFolderParams = z.object({ role: z.enum(['trash', 'junk']) });

export const AffectedDto = z.object({ affected: z.number().int() }).meta({ id: 'Affected' });
export type AffectedDto = z.infer<typeof AffectedDto>;

/** The mailboxes the caller can open: their own and those an admin granted. */
export const AccessibleMailboxDto = z
  .object({
    id: Uuid,
    address: z.string(),
    displayName: z.string().nullable(),
    access: z.enum(['owner', 'full', 'read']),
    usedBytes: z.number().int(),
    quotaBytes: z.number().int(),
  })
  .meta({ id: 'AccessibleMailbox' });
export const AccessibleMailboxList = z
  .object({ mailboxes: z.array(AccessibleMailboxDto) })
  .meta({ id: 'AccessibleMailboxList' });
export type AccessibleMailboxDto = z.infer<typeof AccessibleMailboxDto>;
