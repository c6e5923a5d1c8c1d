import { IdParams } from '../../../shared/common';
import { OutboundCancelled } from '../../../shared/outbound-admin/cancel';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { OutboundCancelService } from './outbound-cancel.service';

export function registerOutboundAdminRoutes(api: ApiRegistry, cancel: OutboundCancelService): void {
  api.route(
    {
      method: 'post',
      path: '/admin/outbound/:id/cancel',
      summary: 'Cancel a queued message: its recipients fail and the sender gets a bounce (audited)',
      tag: 'outbound',
      auth: { roles: ['admin'] },
      params: IdParams,
      response: OutboundCancelled,
    },
    ({ actor, params, ctx }) => cancel.cancel(actor, params.id, ctx),
  );
}
