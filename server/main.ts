import 'reflect-metadata';
import type { Server } from 'node:http';
import type { Express } from 'express';
import { createHttp, createServices } from './app';
import { bootstrapEmbedded } from './bootstrap';
import { loadMxTls } from './modules/transport';
import { startBackground } from './runtime';
import { ConfigError, loadConfig, type Config } from './config';
import { systemClock } from './platform/clock';
import { openDatabase, type Database } from './platform/db/database';
import { StartupError } from './platform/errors';
import { createLogger, type Logger } from './platform/logger';
import { loadMasterSecret } from './platform/secrets';
import { announceReady, isSmtpWorker, startSmtpWorkers } from './smtp-workers';

/** Composition root: config → logger → database → services → roles. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    return fail(err);
  }
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty });
  const stops: (() => Promise<void>)[] = [];
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    for (const stop of stops.reverse())
      await stop().catch((err) => logger.error({ err }, 'shutdown step failed'));
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    const db: Database = await openDatabase(config, logger);
    stops.push(() => db.close());
    const masterSecret = await loadMasterSecret(config.jwt.secret, config.dataDir);
    const deps = { config, logger, ds: db.ds, clock: systemClock, masterSecret };
    const services = createServices(deps);
    // An SMTP worker process (see smtp-workers.ts) only serves SMTP: the parent set everything up.
    const tenantId =
      !isSmtpWorker && (config.database.mode === 'embedded' || config.dingtalk)
        ? await bootstrapEmbedded(config, services, logger)
        : undefined;
    // SMTP in several processes: this one keeps the other roles, worker processes serve SMTP.
    const smtpElsewhere = !isSmtpWorker && config.roles.has('smtp') && config.smtp.processes > 1;
    const here = smtpElsewhere
      ? { ...config, roles: new Set([...config.roles].filter((r) => r !== 'smtp')) }
      : config;

    if (config.roles.has('http')) {
      const server = await listen(createHttp(deps, services), config.http.host, config.http.port);
      stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
      server.keepAliveTimeout = 65_000;
    }
    const background = await startBackground({ ...deps, config: here }, services, tenantId);
    stops.push(() => background.stop());
    if (isSmtpWorker) return announceReady();
    if (smtpElsewhere) {
      // The certificate (made once when none is configured) exists before the workers read it.
      await loadMxTls({
        hostname: config.smtp.hostname,
        dataDir: config.dataDir,
        files: config.smtp.tls,
        logger,
      });
      const workers = await startSmtpWorkers({ count: config.smtp.processes, databaseUrl: db.url, logger });
      stops.push(() => workers.stop());
    }
    const base = config.http.publicUrl;
    const lines = [
      `OrgMail is running (${[...config.roles].join(', ')}).`,
      config.roles.has('http')
        ? `  API:        ${base}/api/v1  (OpenAPI at ${base}/api/v1/openapi.json)`
        : '',
      config.roles.has('http') ? `  Health:     ${base}/healthz  ${base}/readyz` : '',
      config.roles.has('smtp')
        ? `  SMTP (MX):  ${config.smtp.host}:${config.smtp.port}` +
          (smtpElsewhere ? ` (${config.smtp.processes} processes)` : '')
        : '',
      config.database.mode === 'embedded'
        ? `  Database:   embedded PostgreSQL, data in ${config.dataDir}`
        : '',
      background.emulator
        ? `  DingTalk:   sandbox emulator at ${background.emulator.baseUrl} with ${config.sandbox.employees} demo employees (corpId ${background.emulator.corpId})`
        : '',
    ];
    process.stdout.write(lines.filter((l) => l !== '').join('\n') + '\n');
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    return fail(err, logger);
  }
}

function listen(app: Express, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE')
        reject(new StartupError(`Port ${port} on ${host} is already in use. Set PORT to a free port.`));
      else if (err.code === 'EACCES')
        reject(new StartupError(`Not allowed to listen on ${host}:${port}. Choose a port above 1024.`));
      else reject(err);
    });
  });
}

/** Known start-up problems print one line; anything else is a bug and keeps its stack in the log. */
function fail(err: unknown, logger?: Logger): void {
  if (err instanceof ConfigError || err instanceof StartupError) {
    process.stderr.write(`orgmail: ${err.message}\n`);
  } else {
    logger?.fatal({ err }, 'start-up failed');
    process.stderr.write(`orgmail: start-up failed: ${(err as Error)?.message ?? String(err)}\n`);
  }
  process.exit(1);
}

void main();
