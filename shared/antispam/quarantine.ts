import { z } from 'zod';
import { Timestamp, Uuid } from '../common';

/** Mail the spam filter put in Junk, across the organization's mailboxes, for admins to review. */
export const QuarantineQuery = z.object({
  /** Part of the recipient mailbox's address. */
  recipient: z.string().trim().toLowerCase().max(320).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type QuarantineQuery = z.infer<typeof QuarantineQuery>;

export const QuarantinedMessage = z
  .object({
    id: Uuid,
    mailboxId: Uuid,
    recipient: z.string(),
    fromName: z.string().nullable(),
    fromAddress: z.string().nullable(),
    subject: z.string(),
    snippet: z.string(),
    size: z.number().int(),
    receivedAt: Timestamp,
  })
  .meta({ id: 'QuarantinedMessage' });
export type QuarantinedMessage = z.infer<typeof QuarantinedMessage>;

export const QuarantinePage = z.object({ items: z.array(QuarantinedMessage) }).meta({ id: 'QuarantinePage' });
export type QuarantinePage = z.infer<typeof QuarantinePage>;

export const QuarantineReleased = z
  .object({ id: Uuid, mailboxId: Uuid, folder: z.literal('inbox') })
  .meta({ id: 'QuarantineReleased' });
