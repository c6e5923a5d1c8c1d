export { OutboundCancelService } from './outbound-cancel.service';
export { registerOutboundAdminRoutes } from './outbound-admin.routes';
