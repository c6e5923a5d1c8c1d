import path from 'node:path';
import type { DataSource } from 'typeorm';
import type { Config } from '../../config';
import type { Logger } from '../logger';
import { connectAndMigrate } from './connect';
import {
  embeddedClusterRunning,
  ensureDatabase,
  runningEmbeddedUrl,
  startEmbeddedPostgres,
  type RunningPostgres,
} from './embedded-postgres';

export interface Database {
  ds: DataSource;
  /** Where it is (for worker processes that share it). */
  url: string;
  embedded?: RunningPostgres;
  close(): Promise<void>;
}

export const EMBEDDED_DB = 'orgmail';

/**
 * The configured PostgreSQL, or an embedded one under DATA_DIR when DATABASE_URL is unset.
 * `attach`: when the embedded cluster is already running (a server holds it), connect to it
 * instead of failing; command-line tools use this next to a running server.
 */
export async function openDatabase(
  config: Config,
  logger: Logger,
  options: { attach?: boolean } = {},
): Promise<Database> {
  let embedded: RunningPostgres | undefined;
  let url: string;
  const dataDir = path.join(config.dataDir, 'pg');
  if (config.database.mode === 'external') {
    url = config.database.url;
  } else if (options.attach && embeddedClusterRunning(dataDir)) {
    url = await runningEmbeddedUrl(dataDir, config.database.port, EMBEDDED_DB);
  } else {
    embedded = await startEmbeddedPostgres({
      dataDir,
      port: config.database.port,
      logger,
    });
    await ensureDatabase(embedded.url('postgres'), EMBEDDED_DB);
    url = embedded.url(EMBEDDED_DB);
  }
  let ds: DataSource;
  try {
    ds = await connectAndMigrate(url, config.database.poolSize);
  } catch (err) {
    await embedded?.stop().catch(() => undefined);
    throw err;
  }
  return {
    ds,
    url,
    embedded,
    close: async () => {
      await ds.destroy().catch((err) => logger.warn({ err }, 'closing the database pool failed'));
      await embedded?.stop();
    },
  };
}
