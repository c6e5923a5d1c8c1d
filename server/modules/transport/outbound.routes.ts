import { z } from 'zod';
import { Uuid } from '../../../shared/common';
import {
  CapturedMailList,
  DkimRecordsDto,
  OutboundItemDto,
  OutboundList,
  OutboundListQuery,
  RelaySettingsDto,
  UpdateRelayBody,
} from '../../../shared/mail/outbound';
import { SendPolicy } from '../../../shared/mail/send-policy';
import type { Clock } from '../../platform/clock';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { DkimKeysService } from './dkim-keys.service';
import type { MailCapture } from './mail-capture';
import type { OutboundQueue } from './outbound-queue';
import type { RelayService } from './relay';
import type { SendPolicyService } from './send-policy.service';

/** Admin console endpoints for outgoing mail: policy, relay, queue, captured mail and DKIM. */
export function registerOutboundRoutes(
  api: ApiRegistry,
  s: {
    policy: SendPolicyService;
    relay: RelayService;
    queue: OutboundQueue;
    capture: MailCapture;
    dkim: DkimKeysService;
    clock: Clock;
    /** Tells the worker (in this process) that something is due now. */
    kick?: () => void;
  },
): void {
  const read = { roles: ['admin' as const, 'auditor' as const] };
  const write = { roles: ['admin' as const] };

  api.route(
    {
      method: 'get',
      path: '/admin/send-policy',
      summary: 'Who may send outside, the daily external recipient limit and size limits',
      tag: 'outbound',
      auth: read,
      response: SendPolicy,
    },
    ({ actor }) => s.policy.get(actor),
  );
  api.route(
    {
      method: 'put',
      path: '/admin/send-policy',
      summary: 'Change the sending policy (audited)',
      tag: 'outbound',
      auth: write,
      body: SendPolicy,
      response: SendPolicy,
    },
    ({ actor, body, ctx }) => s.policy.update(actor, body, ctx),
  );

  api.route(
    {
      method: 'get',
      path: '/admin/relay',
      summary: 'The smarthost outgoing mail goes through (the password is never returned)',
      tag: 'outbound',
      auth: read,
      response: RelaySettingsDto,
    },
    ({ actor }) => s.relay.get(actor),
  );
  api.route(
    {
      method: 'put',
      path: '/admin/relay',
      summary: 'Set or disable the smarthost; omit password to keep the stored one',
      tag: 'outbound',
      auth: write,
      body: UpdateRelayBody,
      response: RelaySettingsDto,
    },
    ({ actor, body, ctx }) => s.relay.update(actor, body, ctx),
  );

  api.route(
    {
      method: 'get',
      path: '/admin/outbound',
      summary: 'Outgoing mail for other domains: status, attempts, last error, next attempt',
      tag: 'outbound',
      auth: read,
      query: OutboundListQuery,
      response: OutboundList,
    },
    async ({ actor, query }) => ({ items: await s.queue.list(actor.tenantId, query) }),
  );
  api.route(
    {
      method: 'post',
      path: '/admin/outbound/:id/retry',
      summary: 'Try a queued or failed message again now',
      tag: 'outbound',
      auth: write,
      params: z.object({ id: Uuid }),
      response: OutboundItemDto,
    },
    async ({ actor, params }) => {
      const item = await s.queue.retry(actor.tenantId, params.id, s.clock.now());
      s.kick?.();
      return item;
    },
  );

  api.route(
    {
      method: 'get',
      path: '/admin/outbound/captured',
      summary: 'Mail kept instead of sent (OUTBOUND_MODE=capture without a relay): nothing left the machine',
      tag: 'outbound',
      auth: read,
      query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
      response: CapturedMailList,
    },
    async ({ actor, query }) => ({ items: await s.capture.list(actor.tenantId, query.limit) }),
  );
  api.download(
    {
      method: 'get',
      path: '/admin/outbound/captured/:id/raw',
      summary: 'A captured message as it would have been sent (RFC 5322, DKIM-signed)',
      tag: 'outbound',
      auth: { roles: ['admin'] },
      params: z.object({ id: Uuid }),
      contentType: 'message/rfc822',
    },
    async ({ actor, params }) => {
      const body = await s.capture.raw(actor.tenantId, params.id);
      return { contentType: 'message/rfc822', filename: `${params.id}.eml`, body, size: body.length };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/admin/domains/:domainId/dkim',
      summary: 'DNS records to publish for a domain: DKIM key (made on first need), SPF and DMARC',
      tag: 'outbound',
      auth: read,
      params: z.object({ domainId: Uuid }),
      response: DkimRecordsDto,
    },
    ({ actor, params }) => s.dkim.records(actor, params.domainId),
  );
  api.route(
    {
      method: 'post',
      path: '/admin/domains/:domainId/dkim/rotate',
      summary: 'Make a new DKIM key with a new selector (publish its record; the old one is retired)',
      tag: 'outbound',
      auth: write,
      params: z.object({ domainId: Uuid }),
      response: DkimRecordsDto,
    },
    ({ actor, params, ctx }) => s.dkim.rotate(actor, params.domainId, ctx),
  );
}
