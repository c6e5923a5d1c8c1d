import {
  ClientConfigDto,
  SandboxAuthCodeBody,
  SandboxAuthCodeDto,
  SandboxEmployeeList,
  SandboxEmployeesQuery,
} from '../../shared/sandbox';
import { NotFoundError } from '../platform/errors';
import type { ApiRegistry } from '../platform/http/api-router';
import type { RunningEmulator } from './dingtalk-emulator';

/**
 * The sandbox sign-in for browsers outside DingTalk: a picker of the emulator's demo employees, and
 * a login-free code from the emulator, so the app then runs the same POST /auth/dingtalk as inside
 * DingTalk. The emulator starts after the HTTP app, so it is attached later; until then, and always
 * in production (the emulator never starts there), these routes answer 404.
 */
export class SandboxSignIn {
  private emulator: RunningEmulator | undefined;

  constructor(private readonly production: boolean) {}

  attach(emulator: RunningEmulator | undefined): void {
    if (!this.production) this.emulator = emulator;
  }

  detach(): void {
    this.emulator = undefined;
  }

  get corpId(): string | null {
    return this.emulator?.corpId ?? null;
  }

  running(): RunningEmulator {
    if (!this.emulator) throw new NotFoundError('Sandbox sign-in (only with the DingTalk emulator)');
    return this.emulator;
  }
}

export function registerSandboxSignInRoutes(
  api: ApiRegistry,
  d: { sandbox: SandboxSignIn; appName: string; configuredCorpId: string | null },
): void {
  api.route(
    {
      method: 'get',
      path: '/client-config',
      summary:
        'How the apps sign in here: sandbox (emulator picker) or production, and the corpId when known',
      tag: 'clients',
      auth: 'public',
      response: ClientConfigDto,
    },
    () => {
      const sandboxCorpId = d.sandbox.corpId;
      return {
        mode: sandboxCorpId ? ('sandbox' as const) : ('production' as const),
        corpId: sandboxCorpId ?? d.configuredCorpId,
        appName: d.appName,
      };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/sandbox/employees',
      summary: 'Sandbox only: demo employees of the emulated company (search by name, userid or pinyin)',
      tag: 'sandbox',
      auth: 'public',
      query: SandboxEmployeesQuery,
      response: SandboxEmployeeList,
    },
    ({ query }) => {
      const emulator = d.sandbox.running();
      const users = emulator.org.searchUsers(query.q, query.limit * 2).filter((u) => u.active);
      return {
        corpId: emulator.corpId,
        employees: users.slice(0, query.limit).map((u) => ({
          userid: u.userid,
          name: u.name,
          title: u.title,
          departments: u.deptNames,
          admin: u.adminLevel !== 0,
        })),
      };
    },
  );

  api.route(
    {
      method: 'post',
      path: '/sandbox/auth-code',
      summary: 'Sandbox only: a login-free code for a demo employee, to post to /auth/dingtalk',
      tag: 'sandbox',
      auth: 'public',
      body: SandboxAuthCodeBody,
      response: SandboxAuthCodeDto,
    },
    ({ body }) => {
      const emulator = d.sandbox.running();
      if (!emulator.org.getUser(body.userid)?.active) throw new NotFoundError('Demo employee');
      return { corpId: emulator.corpId, code: emulator.issueAuthCode(body.userid) };
    },
  );
}
