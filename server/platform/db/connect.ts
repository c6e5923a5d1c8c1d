import type { DataSource } from 'typeorm';
import { StartupError } from '../errors';
import { createDataSource } from './data-source';

/** Opens the pool and applies pending migrations; connection problems become one clear line. */
export async function connectAndMigrate(url: string, poolSize: number): Promise<DataSource> {
  const ds = createDataSource({ url, poolSize });
  try {
    await ds.initialize();
  } catch (err) {
    throw new StartupError(`Cannot connect to the database at ${describe(url)}: ${reason(err)}`, {
      cause: err,
    });
  }
  try {
    await ds.runMigrations({ transaction: 'each' });
  } catch (err) {
    await ds.destroy().catch(() => undefined);
    throw new StartupError(`Database migration failed: ${reason(err)}`, { cause: err });
  }
  return ds;
}

function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

function reason(err: unknown): string {
  const e = err as { code?: string; message?: string; errors?: { message?: string }[] };
  if (e?.code === 'ECONNREFUSED') return 'connection refused (is PostgreSQL running and reachable?)';
  if (e?.code === 'ENOTFOUND') return 'host not found';
  if (e?.code === '28P01') return 'password authentication failed';
  if (e?.code === '3D000') return 'the database does not exist';
  const message = e?.message || e?.errors?.[0]?.message || String(err);
  return message.split('\n')[0] ?? message;
}
