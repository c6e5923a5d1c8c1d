export {
  LocalDeliveryService,
  type Delivered,
  type DeliveredListener,
  type DeliveredMail,
  type DeliveryContext,
  type DeliveryHook,
  type DeliveryVerdict,
  type LocalDelivery,
  type PendingDelivery,
  type Placement,
} from './local-delivery.service';
export { InboundMailService, SmtpRefusal, type AcceptedRecipient } from './inbound-mail.service';
export { startMx, type MxOptions, type RunningMx } from './mx-server';
