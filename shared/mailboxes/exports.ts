import { z } from 'zod';
import { Uuid } from '../common';

/** An archive of one mailbox (zip of .eml files by folder, with a manifest of flags). */
export const MailboxExportDto = z
  .object({
    id: Uuid,
    mailboxId: Uuid,
    memberId: Uuid.nullable(),
    address: z.string(),
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
