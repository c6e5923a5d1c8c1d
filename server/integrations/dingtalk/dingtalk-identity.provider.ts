import { ErrorCodes } from '../../../shared/errors';
import { UnauthenticatedError, UpstreamError } from '../../platform/errors';
import type { ExternalIdentity, IdentityProvider } from '../../modules/auth';
import { INVALID_AUTH_CODE } from './dingtalk-login.api';
import type { DingTalkIntegrations } from './dingtalk-integrations';

/** Login-free sign-in: the H5 app's authCode, exchanged through topapi/v2/user/getuserinfo. */
export class DingTalkIdentityProvider implements IdentityProvider {
  readonly name = 'dingtalk';

  constructor(private readonly integrations: DingTalkIntegrations) {}

  async exchange(tenantId: string, code: string): Promise<ExternalIdentity> {
    const app = await this.integrations.app(tenantId);
    if (!app) throw new UnauthenticatedError('This organization is not connected to DingTalk');
    try {
      const info = await app.api.login.getUserInfoByCode(code);
      // sys: main or sub-admin; sys_level 100 (boss) is not an admin by itself.
      return {
        externalId: info.userid,
        displayName: info.name ?? info.userid,
        isOrgAdmin: info.sys === true,
      };
    } catch (err) {
      if (err instanceof UpstreamError && Number(err.upstreamCode) === INVALID_AUTH_CODE) {
        throw new UnauthenticatedError(
          'The DingTalk sign-in code is invalid or already used; try again',
          ErrorCodes.invalidCredentials,
        );
      }
      throw err;
    }
  }
}
