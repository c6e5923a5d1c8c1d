export { LocalDeliveryService, type Delivered, type LocalDelivery } from './local-delivery.service';
export { InboundMailService, SmtpRefusal, type AcceptedRecipient } from './inbound-mail.service';
export { startMx, type MxOptions, type RunningMx } from './mx-server';
