import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Express } from 'express';
import type { DataSource } from 'typeorm';
import { createHttp, createServices, type Services } from '../../server/app';
import { loadConfig, type Config } from '../../server/config';
import { ManualClock } from '../../server/platform/clock';
import { staticResolver, type DnsResolver } from '../../server/platform/dns/resolver';
import { createLogger } from '../../server/platform/logger';
import { openTestDataSource } from './postgres';

export interface TestApp {
  config: Config;
  ds: DataSource;
  clock: ManualClock;
  services: Services;
  http: Express;
  url: string;
  close(): Promise<void>;
}

export const TEST_MASTER_SECRET = 'test-master-secret-that-is-long-enough-0123456789';

/** A real app on its own fresh database, listening on a free loopback port. */
export async function startTestApp(
  env: Record<string, string> = {},
  opts: { resolver?: DnsResolver } = {},
): Promise<TestApp> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PORT: '0', ...env });
  const ds = await openTestDataSource();
  const clock = new ManualClock(new Date());
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  // No test ever queries real DNS: an empty table unless the test brings its own.
  const resolver = opts.resolver ?? staticResolver({});
  const deps = { config, logger, ds, clock, masterSecret: TEST_MASTER_SECRET, resolver };
  const services = createServices(deps);
  const http = createHttp(deps, services);
  const server: Server = await new Promise((resolve) => {
    const s = http.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    config,
    ds,
    clock,
    services,
    http,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await ds.destroy();
    },
  };
}
