import { z } from 'zod';
import { Uuid } from '../common';

/**
 * How an archive holds the mail (always inside a zip, with manifest.json):
 * - `eml-zip`: one `.eml` file per message (the stored bytes) under its folder path;
 * - `mbox`: one mboxrd file (RFC 4155 "From " lines, `>From` quoting, LF line ends) per folder,
 *   named `<folder path>.mbox`.
 */
export const ExportFormat = z.enum(['eml-zip', 'mbox']);
export type ExportFormat = z.infer<typeof ExportFormat>;

/**
 * An archive of one mailbox, or of every active mailbox of a department subtree (then each
 * mailbox's folders sit under a directory named by its address).
 */
export const MailboxExportDto = z
  .object({
    id: Uuid,
    /** Null for a department export. */
    mailboxId: Uuid.nullable(),
    memberId: Uuid.nullable(),
    /** The mailbox's address; for a department export, the department's name. */
    address: z.string(),
    scope: z.enum(['mailbox', 'department']),
    departmentExternalId: z.string().nullable(),
    format: ExportFormat,
    /** Messages written so far, out of `progressTotal`. */
    progressDone: z.number().int(),
    progressTotal: z.number().int(),
    displayName: z.string().nullable(),
    /** `purge`: made automatically before a departed member's mailbox was purged. */
    reason: z.enum(['purge', 'admin']),
    status: z.enum(['running', 'ready', 'failed']),
    messages: z.number().int(),
    size: z.number().int(),
    sha256: z.string().nullable(),
    error: z.string().nullable(),
    createdAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
    expiresAt: z.iso.datetime(),
  })
  .meta({ id: 'MailboxExport' });
export type MailboxExportDto = z.infer<typeof MailboxExportDto>;

export const MailboxExportList = z
  .object({ exports: z.array(MailboxExportDto) })
  .meta({ id: 'MailboxExportList' });

export const MailboxExportQuery = z.object({
  mailboxId: Uuid.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** Start an export: a member's mailbox, or a department and all its sub-departments. */
export const CreateExportBody = z.discriminatedUnion('scope', [
  z.object({ scope: z.literal('mailbox'), memberId: Uuid, format: ExportFormat.default('eml-zip') }),
  z.object({
    scope: z.literal('department'),
    departmentExternalId: z.string().trim().min(1).max(200),
    format: ExportFormat.default('eml-zip'),
  }),
]);
export type CreateExportBody = z.infer<typeof CreateExportBody>;
