import {
  ChangePasswordBody,
  LoginBody,
  SecurityPolicy,
  SessionDto,
  TotpEnableBody,
  TotpSetupDto,
} from '../../../shared/auth';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { AccountService } from './account.service';
import type { LocalLoginService } from './local-login.service';
import type { SecurityPolicyService } from './security-policy.service';

export function registerAuthRoutes(
  api: ApiRegistry,
  s: { login: LocalLoginService; accounts: AccountService; policy: SecurityPolicyService },
): void {
  api.route(
    {
      method: 'post',
      path: '/auth/login',
      summary: 'Sign in with a local account (console break-glass admin), with TOTP when enabled',
      tag: 'auth',
      auth: 'public',
      body: LoginBody,
      response: SessionDto,
    },
    ({ body, ctx }) => s.login.login(body, ctx),
  );

  api.route(
    {
      method: 'post',
      path: '/auth/totp/setup',
      summary: 'Start two-factor enrolment: returns the secret and an otpauth:// URL for a QR code',
      tag: 'auth',
      auth: { allowEnrollScope: true },
      response: TotpSetupDto,
    },
    ({ actor }) => s.accounts.beginTotp(actor),
  );

  api.route(
    {
      method: 'post',
      path: '/auth/totp/enable',
      summary: 'Finish two-factor enrolment with a first code',
      tag: 'auth',
      auth: { allowEnrollScope: true },
      body: TotpEnableBody,
      response: null,
    },
    ({ actor, body, ctx }) => s.accounts.enableTotp(actor, body.code, ctx),
  );

  api.route(
    {
      method: 'post',
      path: '/auth/password',
      summary: 'Change your password',
      tag: 'auth',
      auth: { allowEnrollScope: true },
      body: ChangePasswordBody,
      response: null,
    },
    ({ actor, body, ctx }) => s.accounts.changePassword(actor, body, ctx),
  );

  api.route(
    {
      method: 'post',
      path: '/auth/sign-out',
      summary: 'Sign out everywhere: every session of this account ends, this one included',
      tag: 'auth',
      auth: { allowEnrollScope: true },
      response: null,
    },
    ({ actor, ctx }) => s.accounts.signOutEverywhere(actor, ctx),
  );

  api.route(
    {
      method: 'get',
      path: '/admin/security-policy',
      summary: 'Password sign-in policy: 2FA requirement and lockout thresholds',
      tag: 'admin',
      auth: { roles: ['admin'] },
      response: SecurityPolicy,
    },
    ({ actor }) => s.policy.get(actor),
  );

  api.route(
    {
      method: 'put',
      path: '/admin/security-policy',
      summary: 'Change the sign-in policy',
      tag: 'admin',
      auth: { roles: ['admin'] },
      body: SecurityPolicy,
      response: SecurityPolicy,
    },
    ({ actor, body, ctx }) => s.policy.update(actor, body, ctx),
  );
}
