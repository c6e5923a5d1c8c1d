import type { Config } from './config';
import type { Services } from './app';
import type { Logger } from './platform/logger';
import { DingTalkStreamListener } from './integrations/dingtalk';
import { NightlySyncJob } from './modules/directory';
import { startMx } from './modules/transport';
import type { AppDeps } from './app';
import type { RunningEmulator } from './sandbox/dingtalk-emulator';
import { startSandbox } from './sandbox/sandbox-mode';

export interface Background {
  emulator?: RunningEmulator;
  stop(): Promise<void>;
}

/**
 * Binds the bootstrap organization to DingTalk (the configured app, or the emulator when there are
 * no credentials), then starts the background work of this process's roles.
 */
export async function startBackground(
  deps: AppDeps,
  services: Services,
  tenantId: string | undefined,
): Promise<Background> {
  const { config, logger } = deps;
  const stops: (() => Promise<void>)[] = [];
  let emulator: RunningEmulator | undefined;

  if (tenantId && config.dingtalk) {
    await bindConfiguredApp(config, services, tenantId);
  } else if (tenantId && config.env !== 'production') {
    emulator = await startSandbox({
      integrations: services.dingtalk,
      tenantId,
      callbackBaseUrl: `http://${config.http.host}:${config.http.port}`,
      employees: config.sandbox.employees,
      depth: config.sandbox.depth,
      seed: config.sandbox.seed,
      port: config.sandbox.port,
      qpsPerApi: config.sandbox.qpsPerApi,
      logger: logger.child({ module: 'dingtalk-emulator' }),
    });
    stops.push(() => emulator!.close());
    logger.info({ url: emulator.baseUrl }, 'DingTalk emulator (sandbox) started');
  }

  if (config.roles.has('http') || config.roles.has('scheduler')) {
    services.directoryEvents.start();
    stops.push(() => services.directoryEvents.stop());
    const prune = setInterval(
      () => void services.dingtalkCallbacks.pruneReceipts().catch(() => undefined),
      60_000,
    );
    prune.unref();
    stops.push(async () => clearInterval(prune));
  }
  if (
    tenantId &&
    config.dingtalk?.eventMode === 'stream' &&
    (config.roles.has('http') || config.roles.has('scheduler'))
  ) {
    // No public URL: events arrive over DingTalk's Stream WebSocket instead of HTTP push.
    const listener = new DingTalkStreamListener({
      tenantId,
      appKey: config.dingtalk.appKey,
      appSecret: config.dingtalk.appSecret,
      apiBaseUrl: config.dingtalk.apiBaseUrl,
      ingest: (t, e) => services.directoryEvents.ingest(t, e),
      logger: logger.child({ module: 'dingtalk-stream' }),
    });
    await listener.start();
    // Stopped before the event processor and the database.
    stops.push(() => listener.stop());
  }
  if (config.roles.has('smtp')) {
    const mx = await startMx(services.inbound, { ...config.smtp, logger });
    stops.push(() => mx.close());
  }
  if (config.roles.has('scheduler')) {
    const nightly = new NightlySyncJob(deps.ds, services.sync, logger.child({ module: 'nightly-sync' }));
    await nightly.start();
    stops.push(() => nightly.stop());
  }
  if (tenantId && emulator) void initialSync(services, tenantId, logger);

  return {
    emulator,
    stop: async () => {
      for (const stop of stops.reverse())
        await stop().catch((err) => logger.warn({ err }, 'background stop failed'));
    },
  };
}

async function bindConfiguredApp(config: Config, services: Services, tenantId: string): Promise<void> {
  const d = config.dingtalk!;
  await services.dingtalk.save(
    tenantId,
    {
      corpId: d.corpId,
      appKey: d.appKey,
      agentId: d.agentId,
      oapiBaseUrl: d.oapiBaseUrl,
      apiBaseUrl: d.apiBaseUrl,
      qpsPerApi: d.qpsPerApi,
      eventMode: d.eventMode,
    },
    { appSecret: d.appSecret, callbackToken: d.callbackToken, callbackAesKey: d.callbackAesKey },
  );
}

/** The sandbox company is synced at start, so a newcomer sees mailboxes at once. */
async function initialSync(services: Services, tenantId: string, logger: Logger): Promise<void> {
  try {
    const outcome = await services.sync.fullSync(tenantId, { trigger: 'startup' });
    logger.info({ status: outcome.status, counts: outcome.counts }, 'sandbox directory synced');
  } catch (err) {
    logger.error({ err }, 'sandbox directory sync failed');
  }
}
