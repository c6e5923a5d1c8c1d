import { SessionDto } from '../../shared/auth';
import {
  ClientConfigDto,
  SandboxAuthCodeDto,
  SandboxEmployeeList,
  type SandboxEmployeeDto,
} from '../../shared/sandbox';
import { api, ApiError, setReauthenticator, setSession } from './api';
import { corpIdFromUrl, dingTalkAuthCode, inDingTalk } from './platform';

/**
 * Sign-in: inside DingTalk login-free (a code from dingtalk-jsapi → POST /auth/dingtalk); outside
 * DingTalk in the sandbox, a demo employee's code from the emulator → the very same endpoint.
 */

export function loadClientConfig(): Promise<ClientConfigDto> {
  return api(ClientConfigDto, '/client-config', { anonymous: true });
}

async function exchange(corpId: string, code: string): Promise<void> {
  const s = await api(SessionDto, '/auth/dingtalk', {
    method: 'POST',
    body: { corpId, code },
    anonymous: true,
  });
  setSession({
    token: s.token,
    expiresAt: s.expiresAt,
    memberName: s.member.displayName,
    email: s.member.email,
  });
}

/** The corpId DingTalk put in the URL, else the server's (configured app or sandbox). */
export async function resolveCorpId(config?: ClientConfigDto): Promise<string | null> {
  return corpIdFromUrl() ?? (config ?? (await loadClientConfig())).corpId;
}

/**
 * A newcomer is brought over from the directory at sign-in; while a directory sync is running the
 * server answers 409 for a moment. Codes are single use, so each attempt asks for a fresh one.
 */
async function withSyncRetry(attempt: () => Promise<void>): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 409) || i >= 10) throw err;
      await new Promise((r) => setTimeout(r, 1500));
    }
  }
}

export async function signInWithDingTalk(corpId: string): Promise<void> {
  await withSyncRetry(async () => exchange(corpId, await dingTalkAuthCode(corpId)));
}

export function listSandboxEmployees(q: string): Promise<SandboxEmployeeDto[]> {
  return api(SandboxEmployeeList, '/sandbox/employees', { query: { q, limit: 30 }, anonymous: true }).then(
    (r) => r.employees,
  );
}

export async function signInAsSandboxEmployee(userid: string): Promise<void> {
  await withSyncRetry(async () => {
    const { corpId, code } = await api(SandboxAuthCodeDto, '/sandbox/auth-code', {
      method: 'POST',
      body: { userid },
      anonymous: true,
    });
    await exchange(corpId, code);
  });
}

/** An expired session inside DingTalk is renewed with a fresh login-free code, without a word. */
export function enableSilentReauth(): void {
  setReauthenticator(async () => {
    if (!inDingTalk()) return false;
    const corpId = await resolveCorpId();
    if (!corpId) return false;
    await signInWithDingTalk(corpId);
    return true;
  });
}

export function signOut(): void {
  setSession(null);
}
