import { z } from 'zod';
import { DingTalkLoginBody, SessionDto } from '../../../shared/auth';
import { Uuid } from '../../../shared/common';
import type { ExternalLoginService } from '../../modules/auth';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { DingTalkCallbackHandler } from './dingtalk-callback.handler';
import type { DingTalkIdentityProvider } from './dingtalk-identity.provider';

const CallbackQuery = z.object({
  signature: z.string().max(128).optional(),
  msg_signature: z.string().max(128).optional(),
  timestamp: z.string().max(32).optional(),
  timeStamp: z.string().max(32).optional(),
  nonce: z.string().max(128).optional(),
});
const CallbackBody = z.object({ encrypt: z.string().min(1).max(1_000_000) });
const CallbackReply = z
  .object({ msg_signature: z.string(), timeStamp: z.string(), nonce: z.string(), encrypt: z.string() })
  .meta({ id: 'DingTalkCallbackReply' });

export function registerDingTalkRoutes(
  api: ApiRegistry,
  s: { login: ExternalLoginService; identity: DingTalkIdentityProvider; callbacks: DingTalkCallbackHandler },
): void {
  api.route(
    {
      method: 'post',
      path: '/auth/dingtalk',
      summary: 'Login-free sign-in inside DingTalk: exchange the authCode from dingtalk-jsapi for a session',
      tag: 'auth',
      auth: 'public',
      body: DingTalkLoginBody,
      response: SessionDto,
    },
    ({ body, ctx }) => s.login.signIn(s.identity, body.corpId, body.code, ctx),
  );

  api.route(
    {
      method: 'post',
      path: '/dingtalk/callback/:tenantId',
      summary: 'DingTalk HTTP event push (encrypted); answered with the encrypted "success"',
      tag: 'dingtalk',
      auth: 'public',
      params: z.object({ tenantId: Uuid }),
      query: CallbackQuery,
      body: CallbackBody,
      response: CallbackReply,
    },
    ({ params, query, body }) => s.callbacks.handle(params.tenantId, { ...query, encrypt: body.encrypt }),
  );
}
