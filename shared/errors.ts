import { z } from 'zod';

/**
 * Stable error codes. Clients switch on these, so a code is never renamed or reused:
 * add new ones, deprecate old ones.
 */
export const ErrorCodes = {
  validation: 'validation_failed',
  badRequest: 'bad_request',
  unauthenticated: 'unauthenticated',
  tokenExpired: 'token_expired',
  tokenRevoked: 'token_revoked',
  forbidden: 'forbidden',
  notFound: 'not_found',
  conflict: 'conflict',
  payloadTooLarge: 'payload_too_large',
  unsupportedMediaType: 'unsupported_media_type',
  rateLimited: 'rate_limited',
  internal: 'internal',
  unavailable: 'unavailable',
  upstream: 'upstream_error',
  // auth
  invalidCredentials: 'auth.invalid_credentials',
  accountLocked: 'auth.account_locked',
  accountSuspended: 'auth.account_suspended',
  totpRequired: 'auth.totp_required',
  totpInvalid: 'auth.totp_invalid',
  totpEnrollmentRequired: 'auth.totp_enrollment_required',
  passwordChangeRequired: 'auth.password_change_required',
  passwordTooWeak: 'auth.password_too_weak',
  // platform callbacks
  callbackBadSignature: 'callback.bad_signature',
  callbackStale: 'callback.stale',
  callbackReplayed: 'callback.replayed',
  callbackUndecryptable: 'callback.undecryptable',
  // mail
  mailUnparseable: 'mail.unparseable',
  // outbound (sending)
  mailPolicyExternalDenied: 'mail.policy_external_denied',
  mailPolicyInternalDenied: 'mail.policy_internal_denied',
  mailDailyLimit: 'mail.daily_limit',
  mailTooLarge: 'mail.too_large',
  mailAttachmentTooLarge: 'mail.attachment_too_large',
  mailUnknownRecipient: 'mail.unknown_recipient',
  mailRecipientRefused: 'mail.recipient_refused',
  mailNoRecipients: 'mail.no_recipients',
  mailSenderNotAllowed: 'mail.sender_not_allowed',
  // compose, scheduled sends
  mailSendAtInvalid: 'mail.send_at_invalid',
  mailScheduledNotQueued: 'mail.scheduled_not_queued',
  // mail API (reading and organizing)
  mailReadOnly: 'mail.read_only',
  mailSystemFolder: 'mail.system_folder',
  mailFolderCycle: 'mail.folder_cycle',
  mailFolderExists: 'mail.folder_exists',
  mailBadCursor: 'mail.bad_cursor',
  // rules and jobs
  ruleLimitReached: 'rules.limit_reached',
  ruleFolderUnknown: 'rules.folder_unknown',
  jobAlreadyRunning: 'jobs.already_running',
  ruleDepartmentUnknown: 'rules.department_unknown',
  // console operations
  mailboxExportRequired: 'mailbox.export_required',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export const ErrorEnvelope = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
    requestId: z.string(),
  }),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;
