import { mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../server/platform/db/data-source';
import { startEmbeddedPostgres, type RunningPostgres } from '../../server/platform/db/embedded-postgres';
import { createLogger } from '../../server/platform/logger';

/**
 * One embedded PostgreSQL per test run, started on first use. A template database is migrated
 * once; every suite clones its own database from it (CREATE DATABASE ... TEMPLATE is a file copy).
 */
const TEMPLATE = 'orgmail_template';
let started: Promise<RunningPostgres> | undefined;
let root: string | undefined;
let counter = 0;

export function testPostgres(): Promise<RunningPostgres> {
  started ??= boot();
  return started;
}

async function boot(): Promise<RunningPostgres> {
  // Not a 0700 mkdtemp folder: the postgres user (when we run as root) must traverse it.
  root = path.resolve('.test-data', `run-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const pg = await startEmbeddedPostgres({
    dataDir: path.join(root, 'pg'),
    port: await freePort(),
    logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  });
  await admin(pg, `CREATE DATABASE ${TEMPLATE}`);
  const ds = createDataSource({ url: pg.url(TEMPLATE), poolSize: 1 });
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();
  return pg;
}

/** A fresh, migrated database for one suite. */
export async function createTestDatabase(): Promise<{ url: string; name: string }> {
  const pg = await testPostgres();
  const name = `t_${process.pid}_${++counter}`;
  await admin(pg, `CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`);
  return { url: pg.url(name), name };
}

export async function openTestDataSource(poolSize = 5): Promise<DataSource> {
  const { url } = await createTestDatabase();
  const ds = createDataSource({ url, poolSize });
  await ds.initialize();
  return ds;
}

export async function stopTestPostgres(): Promise<void> {
  if (!started) return;
  const pg = await started.catch(() => undefined);
  await pg?.stop();
  started = undefined;
  if (root) rmSync(root, { recursive: true, force: true });
}

async function admin(pg: RunningPostgres, sql: string): Promise<void> {
  const client = new Client({ connectionString: pg.url('postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
