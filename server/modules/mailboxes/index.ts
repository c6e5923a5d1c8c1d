export {
  DEFAULT_QUOTA_BYTES,
  MailboxProvisioning,
  type AddressNamespace,
  type ProvisionedMailbox,
} from './mailbox-provisioning.service';
