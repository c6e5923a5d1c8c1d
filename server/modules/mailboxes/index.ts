export {
  DEFAULT_QUOTA_BYTES,
  MailboxProvisioning,
  type AddressNamespace,
  type ProvisionedMailbox,
} from './mailbox-provisioning.service';
export { registerMailboxAddressRoutes, presentMailboxAddresses } from './mailbox-addresses.routes';
export {
  MailboxAddressesService,
  type MailboxAddresses,
  type MailboxAlias,
} from './mailbox-addresses.service';
export { GroupsService } from './groups.service';
export { GroupAdminService } from './group-admin.service';
export { REFUSAL_TEXT, type SendRefusal } from './group-send-permission';
export { registerGroupRoutes } from './groups.routes';
export {
  RecipientResolver,
  type DeliveryTarget,
  type GroupResolution,
  type Resolution,
  type SenderRef,
} from './recipient-resolver';
export { MailboxExportService, type ExportRow } from './mailbox-export.service';
export { MailboxPurgeService, type PurgeOutcome } from './mailbox-purge.service';
export { registerExportRoutes } from './exports.routes';
