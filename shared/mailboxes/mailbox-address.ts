import { z } from 'zod';
import { Timestamp, Uuid } from '../common';
import { LocalPart } from '../directory/address-template';

/**
 * An admin's overrides of one member's addresses. Local parts use the shared LocalPart rules, so the
 * console shows the same problems the server refuses; tenant-reserved names are checked by the server.
 */

export const SetPrimaryAddressBody = z.object({ localPart: LocalPart }).meta({ id: 'SetPrimaryAddressBody' });
export type SetPrimaryAddressBody = z.infer<typeof SetPrimaryAddressBody>;

export const AddAliasBody = z.object({ localPart: LocalPart }).meta({ id: 'AddAliasBody' });
export type AddAliasBody = z.infer<typeof AddAliasBody>;

export const MemberAliasParams = z.object({ id: Uuid, aliasId: Uuid });
export type MemberAliasParams = z.infer<typeof MemberAliasParams>;

export const MailboxAliasDto = z
  .object({
    id: Uuid,
    /** Full address, local@domain. */
    address: z.string(),
    createdAt: Timestamp,
  })
  .meta({ id: 'MailboxAlias' });
export type MailboxAliasDto = z.infer<typeof MailboxAliasDto>;

export const MailboxAddressesDto = z
  .object({
    mailboxId: Uuid,
    memberId: Uuid,
    /** Full address, local@domain: where the member's mail is sent from. */
    primary: z.string(),
    /** Other addresses that deliver to the same mailbox, oldest first. */
    aliases: z.array(MailboxAliasDto),
  })
  .meta({ id: 'MailboxAddresses' });
export type MailboxAddressesDto = z.infer<typeof MailboxAddressesDto>;
