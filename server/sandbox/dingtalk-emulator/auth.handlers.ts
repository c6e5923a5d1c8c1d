import { randomBytes } from 'node:crypto';
import type { CredentialStore } from './credential-store';
import { LegacyFaults, readString, type Params } from './legacy-envelope';
import type { LegacyRoute } from './legacy-gateway';
import type { OrgModel } from './org-model';
import type { UserRecord } from './org-records';

/** Legacy token, jsapi ticket and login-free code exchange (doc §1.1, §1.5, §3.6). */

export function authRoutes(org: OrgModel, credentials: CredentialStore): Array<[string, LegacyRoute]> {
  const identity = (params: Params): UserRecord => {
    const code = readString(params, 'code', { required: true })!;
    const userid = credentials.redeemAuthCode(code);
    const user = userid === undefined ? undefined : org.getUser(userid);
    if (!user) throw LegacyFaults.authCodeInvalid();
    return user;
  };

  return [
    [
      '/gettoken',
      {
        auth: false,
        handler: ({ params }) => {
          if (!params.appkey) throw LegacyFaults.missingAppKey();
          if (!credentials.checkApp(params.appkey, params.appsecret)) throw LegacyFaults.badAppKey();
          const { token, expiresIn } = credentials.issueToken();
          return { access_token: token, expires_in: expiresIn };
        },
      },
    ],
    [
      '/get_jsapi_ticket',
      {
        auth: true,
        handler: () => {
          const { ticket, expiresIn } = credentials.issueTicket();
          return { ticket, expires_in: expiresIn };
        },
      },
    ],
    [
      '/topapi/v2/user/getuserinfo',
      {
        auth: true,
        handler: ({ params }) => {
          const user = identity(params);
          return {
            result: {
              userid: user.userid,
              unionid: user.unionid,
              associated_unionid: '',
              device_id: randomBytes(16).toString('hex'),
              name: user.name,
              sys: user.admin_level !== 0,
              sys_level: sysLevel(user),
            },
          };
        },
      },
    ],
    [
      // The deprecated GET form, still answered by DingTalk: top-level fields, camelCase deviceId.
      '/user/getuserinfo',
      {
        auth: true,
        handler: ({ params }) => {
          const user = identity(params);
          return {
            userid: user.userid,
            name: user.name,
            deviceId: randomBytes(16).toString('hex'),
            is_sys: user.admin_level !== 0,
            sys_level: sysLevel(user),
          };
        },
      },
    ],
  ];
}

/** 1 main admin, 2 sub-admin, 100 boss, 0 everyone else (doc §3.6). */
function sysLevel(user: UserRecord): number {
  if (user.admin_level !== 0) return user.admin_level;
  return user.boss ? 100 : 0;
}
