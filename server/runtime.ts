import { ConflictError } from './platform/errors';
import type { Config } from './config';
import type { Services } from './app';
import type { Logger } from './platform/logger';
import { DingTalkStreamListener } from './integrations/dingtalk';
import { NightlySyncJob } from './modules/directory';
import { loadMxTls as loadSubmissionTls, startSubmission } from './modules/transport';
import { loadMxTls, startMx } from './modules/transport';
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
    services.sandboxSignIn.attach(emulator);
    stops.push(async () => services.sandboxSignIn.detach());
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
    const tls = await loadMxTls({
      hostname: config.smtp.hostname,
      dataDir: config.dataDir,
      files: config.smtp.tls,
      logger,
    });
    // Stopped after the MX (stops run in reverse): notices, auto-replies and sender notices drain.
    stops.push(async () => {
      await services.inbound.idle();
      await services.autoReplies.idle();
      await services.newMailNotices.idle();
    });
    const mx = await startMx(services.inbound, { ...config.smtp, tls, logger });
    stops.push(() => mx.close());
  }
  if (config.roles.has('smtp')) {
    // SMTP submission for mail clients (app passwords), with the MX's certificate for STARTTLS.
    const submissionTls = await loadSubmissionTls({
      hostname: config.smtp.hostname,
      dataDir: config.dataDir,
      files: config.smtp.tls,
      logger,
    });
    const submission = await startSubmission(
      { appPasswords: services.appPasswords, outgoing: services.outgoing, recipients: services.recipients },
      {
        ...config.submission,
        maxBytes: config.smtp.maxBytes,
        hostname: config.smtp.hostname,
        tls: submissionTls,
        logger,
      },
    );
    stops.push(() => submission.close());
  }
  if (config.roles.has('smtp') || config.roles.has('scheduler')) {
    // The outbound queue is a table: any replica may work it (SKIP LOCKED); sends start right after a commit.
    services.outgoing.onQueued(() => services.outboundWorker.kick());
    services.outboundWorker.start();
    stops.push(() => services.outboundWorker.stop());
  }
  if (config.roles.has('scheduler')) {
    const nightly = new NightlySyncJob(deps.ds, services.sync, logger.child({ module: 'nightly-sync' }));
    await nightly.start();
    stops.push(() => nightly.stop());
    // The job registry's cron jobs (each run under an advisory lock, so replicas never double-run).
    services.jobs.start();
    stops.push(() => services.jobs.stop());
    // Scheduled sends and the end of undo windows: claimed with SKIP LOCKED, so replicas may all run it.
    services.sendDispatcher.start();
    stops.push(() => services.sendDispatcher.stop());
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
  // Someone signing in while the server starts runs a short scoped sync; wait for it rather than fail.
  for (let attempt = 1; ; attempt++) {
    try {
      const outcome = await services.sync.fullSync(tenantId, { trigger: 'startup' });
      logger.info({ status: outcome.status, counts: outcome.counts }, 'sandbox directory synced');
      return;
    } catch (err) {
      if (err instanceof ConflictError && attempt < 60) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      logger.error({ err }, 'sandbox directory sync failed');
      return;
    }
  }
}
