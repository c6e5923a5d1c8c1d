import { UpstreamError } from '../../platform/errors';
import type { DingTalkApiClient } from './dingtalk-api.client';
import { badReply, toBoolean, toNumber } from './dingtalk-coerce';
import type { LegacyEnvelope, RawLoginUserInfo } from './dingtalk-types';

/** "不存在的临时授权码": the login-free code is unknown, expired (5 min) or already used. */
export const INVALID_AUTH_CODE = 40078;

/** H5 login-free (免登) identity exchange. */
export class DingTalkLoginApi {
  constructor(private readonly client: DingTalkApiClient) {}

  /**
   * Exchanges a `requestAuthCode` code for the user's identity (`topapi/v2/user/getuserinfo`).
   * A code is single-use, so the call is never repeated after a failure that DingTalk may already
   * have acted on. A bad code throws a non-retryable UpstreamError with code 40078.
   */
  async getUserInfoByCode(code: string): Promise<RawLoginUserInfo> {
    let reply: LegacyEnvelope & { result?: Record<string, unknown> };
    try {
      reply = await this.client.callLegacy('topapi/v2/user/getuserinfo', { code }, { idempotent: false });
    } catch (err) {
      if (err instanceof UpstreamError && Number(err.upstreamCode) === INVALID_AUTH_CODE) {
        throw new UpstreamError(
          'dingtalk',
          'DingTalk login code is invalid, expired or already used',
          false,
          INVALID_AUTH_CODE,
          { details: err.details, cause: err },
        );
      }
      throw err;
    }
    const result = reply.result;
    if (!result || (typeof result.userid !== 'string' && typeof result.userid !== 'number')) {
      throw badReply('getuserinfo without a userid', { requestId: reply.request_id });
    }
    const info: RawLoginUserInfo = { ...result, userid: String(result.userid) };
    if ('sys' in result) info.sys = toBoolean(result.sys);
    if ('sys_level' in result) info.sys_level = toNumber(result.sys_level);
    return info;
  }
}
