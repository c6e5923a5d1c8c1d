export {
  LocalDeliveryService,
  type Delivered,
  type DeliveredListener,
  type DeliveredMail,
  type DeliveryContext,
  type DeliveryHook,
  type DeliveryVerdict,
  type HookInput,
  type LocalDelivery,
  type PendingDelivery,
  type Placement,
} from './local-delivery.service';
export { InboundMailService, SmtpRefusal, type AcceptedRecipient } from './inbound-mail.service';
export { startMx, type MxOptions, type RunningMx } from './mx-server';
export { MailAuthenticator, type AuthenticationOutcome, type SmtpSessionInfo } from './mail-authentication';
export { loadMxTls, type TlsCredentials } from './tls';
export { AntispamService } from './spam/antispam.service';
export { registerAntispamRoutes } from './spam/antispam.routes';
export { SpamHook } from './spam/spam-hook';
export { AutoReplyService } from './vacation/auto-reply.service';
export { registerAutoReplyRoutes } from './vacation/auto-reply.routes';
export { NewMailNotices } from './new-mail-notice';
export {
  OutgoingMailService,
  type ApprovalGate,
  type OutgoingMessage,
  type SubmitResult,
} from './outgoing-mail.service';
export { SendPolicyService } from './send-policy.service';
export { OutboundQueue, backoffMs, GIVE_UP_AFTER_MS, LEASE_MS } from './outbound-queue';
export { OutboundWorker, type OutboundWorkerDeps } from './outbound-worker';
export { DkimKeysService, dkimTxt, type DkimSigningKey } from './dkim-keys.service';
export { RelayService, type RelayTarget } from './relay';
export { MailCapture } from './mail-capture';
export { buildDsn } from './dsn';
export { AppPasswordsService, SmtpAuthError, type SmtpIdentity } from './app-passwords.service';
export { startSubmission, type RunningSubmission, type SubmissionOptions } from './submission-server';
export { registerOutboundRoutes } from './outbound.routes';
export { registerAppPasswordRoutes } from './app-passwords.routes';
export { DepartedMailService } from './departed-mail';
