import { z } from 'zod';
import { Timestamp, Uuid } from '../common';

/** What an admin does to one member's mailbox from the console's member drawer. */

export const MemberAppPasswordDto = z.object({
  id: Uuid,
  name: z.string(),
  createdAt: Timestamp,
  lastUsedAt: Timestamp.nullable(),
});

export const MemberAppPasswordList = z
  .object({ appPasswords: z.array(MemberAppPasswordDto) })
  .meta({ id: 'MemberAppPasswordList' });
export type MemberAppPasswordList = z.infer<typeof MemberAppPasswordList>;

export const RevokedCount = z.object({ revoked: z.number().int() }).meta({ id: 'RevokedCount' });

/** Forwarding set by an admin: every message arriving is forwarded (through the outbound policy). */
export const ForwardingDto = z
  .object({
    enabled: z.boolean(),
    to: z.string().nullable(),
    /** Keep a copy in the member's mailbox (otherwise the copy is deleted once forwarded). */
    keepCopy: z.boolean(),
  })
  .meta({ id: 'Forwarding' });
export type ForwardingDto = z.infer<typeof ForwardingDto>;

export const ForwardingBody = z
  .object({
    enabled: z.boolean(),
    to: z.email({ pattern: z.regexes.unicodeEmail, error: 'not a valid email address' }).max(320).optional(),
    keepCopy: z.boolean().default(true),
  })
  .refine((v) => !v.enabled || !!v.to, { path: ['to'], message: 'forwarding needs an address' });
export type ForwardingBody = z.infer<typeof ForwardingBody>;

/** Deletes the member's mailbox, only with a finished export made after its last message. */
export const DeleteMailboxBody = z.object({ exportId: Uuid });
export type DeleteMailboxBody = z.infer<typeof DeleteMailboxBody>;

export const DeletedMailboxDto = z
  .object({ mailboxId: Uuid, exportId: Uuid, purged: z.literal(true) })
  .meta({ id: 'DeletedMailbox' });
