import { randomBytes } from 'node:crypto';
import type { DingTalkIntegrations } from '../integrations/dingtalk';
import type { Logger } from '../platform/logger';
import { startDingTalkEmulator, type RunningEmulator } from './dingtalk-emulator';
import { generateOrg } from './org-generator';

export interface SandboxOptions {
  integrations: DingTalkIntegrations;
  tenantId: string;
  /** Where the emulator pushes events: our http role's base URL. */
  callbackBaseUrl: string;
  employees: number;
  depth: number;
  seed: number;
  port?: number;
  qpsPerApi?: number;
  rateLimit?: boolean;
  /** Pushes retried quickly in tests. */
  retryDelaysMs?: number[];
  legacyKeys?: boolean;
  logger?: Logger;
}

const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * The embedded default without DingTalk credentials: the DingTalk emulator on loopback with a
 * generated company, bound to the tenant exactly as a real app would be (same client, same crypto).
 */
export async function startSandbox(options: SandboxOptions): Promise<RunningEmulator> {
  const org = generateOrg({ employees: options.employees, depth: options.depth, seed: options.seed });
  const corpId = `ding${randomBytes(8).toString('hex')}`;
  const appKey = `dingsandbox${randomBytes(6).toString('hex')}`;
  const appSecret = randomBytes(24).toString('base64url');
  const callbackToken = randomBytes(12).toString('hex');
  const callbackAesKey = Array.from(randomBytes(43), (b) => ALPHANUM[b % ALPHANUM.length]).join('');
  const emulator = await startDingTalkEmulator({
    org,
    appKey,
    appSecret,
    corpId,
    agentId: 900000001,
    port: options.port ?? 0,
    rateLimit: options.rateLimit ?? true,
    logger: options.logger,
    callback: {
      url: `${options.callbackBaseUrl}/api/v1/dingtalk/callback/${options.tenantId}`,
      token: callbackToken,
      aesKey: callbackAesKey,
      ownerKey: appKey,
      legacyKeys: options.legacyKeys,
      retryDelaysMs: options.retryDelaysMs,
    },
  });
  await options.integrations.save(
    options.tenantId,
    {
      corpId,
      appKey,
      agentId: 900000001,
      oapiBaseUrl: emulator.baseUrl,
      apiBaseUrl: emulator.baseUrl,
      qpsPerApi: options.qpsPerApi ?? 20,
      callbackOwnerKey: 'appKey',
      eventMode: 'http',
    },
    { appSecret, callbackToken, callbackAesKey },
  );
  return emulator;
}
