import { AutoReplyBody, AutoReplyDto } from '../../../../shared/mail/vacation';
import type { ApiRegistry } from '../../../platform/http/api-router';
import type { AutoReplyService } from './auto-reply.service';

export function registerAutoReplyRoutes(api: ApiRegistry, autoReplies: AutoReplyService): void {
  api.route(
    {
      method: 'get',
      path: '/mail/auto-reply',
      summary: 'My vacation auto-reply',
      tag: 'mail',
      auth: {},
      response: AutoReplyDto,
    },
    ({ actor }) => autoReplies.get(actor),
  );

  api.route(
    {
      method: 'put',
      path: '/mail/auto-reply',
      summary: 'Set my vacation auto-reply (answers each sender at most once per 4 days)',
      tag: 'mail',
      auth: {},
      body: AutoReplyBody,
      response: AutoReplyDto,
    },
    ({ actor, body }) => autoReplies.put(actor, body),
  );
}
