import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { Client } from 'pg';
import { EMBEDDED_DB } from '../../server/platform/db/database';
import { runningEmbeddedUrl } from '../../server/platform/db/embedded-postgres';
import type { DnsTable } from '../../server/platform/dns/resolver';
import { httpOk, runServer, waitFor, type Started } from '../../test/support/process';
import { freePort } from '../../test/support/postgres';

/** The sending "internet" of the benches: SPF passes for loopback and DMARC is really evaluated. */
export const SENDER_DOMAIN = 'partner-bench.example';
export const BENCH_DNS: DnsTable = {
  [SENDER_DOMAIN]: { TXT: [['v=spf1 ip4:127.0.0.1 ~all']] },
  [`_dmarc.${SENDER_DOMAIN}`]: { TXT: [['v=DMARC1; p=quarantine; rua=mailto:d@partner-bench.example']] },
};

export interface BenchServer {
  /** The server's process id (its memory is read from /proc). */
  pid: number;
  url: string;
  smtpPort: number;
  /** Addresses of the demo organization's mailboxes. */
  addresses: string[];
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Resident set size of the server process, in MiB. */
  rssMiB(): number;
  /** CPU time (user + system) of the server process and its SMTP worker processes so far, in ms. */
  cpuMs(): number;
  /** CPU time of PostgreSQL (postmaster and its backends) so far, in ms. */
  pgCpuMs(): number;
  output(): string;
  stop(): Promise<void>;
}

/**
 * The real server binary (`node dist/server/main.js`, as `npm start` runs it) on its own
 * PostgreSQL, with the sandbox organization synced: what the benches measure is what ships.
 * Everything listens on 127.0.0.1; DNS answers come from a static table (no lookup leaves the box).
 */
export async function startBenchServer(options: {
  name: string;
  employees: number;
  env?: Record<string, string>;
}): Promise<BenchServer> {
  const root = path.resolve('.bench-data', `${options.name}-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true, mode: 0o755 });
  let server: Started | undefined;
  let client: Client | undefined;
  try {
    const dnsFile = path.join(root, 'dns.json');
    writeFileSync(dnsFile, JSON.stringify(BENCH_DNS));
    const [port, smtpPort, submissionPort, pgPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const dataDir = path.join(root, 'data');
    server = runServer({
      // Not 'production': the sandbox DingTalk organization is started and synced only outside it.
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtpPort),
      SUBMISSION_HOST: '127.0.0.1',
      SUBMISSION_PORT: String(submissionPort),
      SMTP_HOSTNAME: 'mx.bench.test',
      // The embedded default (its own PostgreSQL under DATA_DIR), as `npm start` runs it.
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(pgPort),
      DNS_STATIC_FILE: dnsFile,
      DNS_CHECKS: 'off',
      OUTBOUND_MODE: 'capture',
      JWT_SECRET: 'bench-jwt-secret-0123456789-0123456789-abcdef',
      SANDBOX_EMPLOYEES: String(options.employees),
      LOG_LEVEL: 'warn',
      ...options.env,
    });
    const url = `http://127.0.0.1:${port}`;
    const started = server;
    await waitFor(
      async () => {
        if (started.child.exitCode !== null) throw new Error(`the server exited:\n${started.output()}`);
        return httpOk(`${url}/readyz`);
      },
      120_000,
      'the server to be ready',
    );
    const pgDir = path.join(dataDir, 'pg');
    await waitFor(() => canConnect(smtpPort), 60_000, 'the MX to listen');
    client = new Client({ connectionString: await runningEmbeddedUrl(pgDir, pgPort, EMBEDDED_DB) });
    await client.connect();
    const c = client;
    const query = async <T>(sql: string, params?: unknown[]) => (await c.query(sql, params)).rows as T[];
    let addresses: string[] = [];
    await waitFor(
      async () => {
        addresses = (
          await query<{ address: string }>(
            `SELECT b.local_part || '@' || d.name AS address FROM mailboxes b
               JOIN domains d ON d.tenant_id = b.tenant_id AND d.id = b.domain_id
              WHERE b.status = 'active' AND b.member_id IS NOT NULL ORDER BY b.local_part`,
          )
        ).map((r) => r.address);
        return addresses.length >= options.employees * 0.9;
      },
      180_000,
      'the sandbox organization to be synced',
    ).catch((err: Error) => {
      throw new Error(`${err.message}; server output:\n${started.output().slice(-3000)}`);
    });
    const pid = server.child.pid!;
    const postmaster = Number(readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const runningServer = server;
    return {
      pid,
      url,
      smtpPort,
      addresses,
      query,
      rssMiB: () => rssKiB(pid) / 1024,
      cpuMs: () => nodeCpuMs(pid),
      pgCpuMs: () => treeCpuMs(postmaster),
      output: () => runningServer.output(),
      stop: async () => {
        await c.end().catch(() => undefined);
        runningServer.child.kill('SIGTERM');
        await Promise.race([runningServer.exited, new Promise((r) => setTimeout(r, 30_000))]);
        runningServer.child.kill('SIGKILL');
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await client?.end().catch(() => undefined);
    server?.child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
}

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

const TICK_MS = 10; // USER_HZ = 100 on Linux

function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU of one process (all its threads), in ms. */
export function processCpuMs(pid: number): number {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

/** User + system CPU of a node process and its node children (SMTP workers; not PostgreSQL), in ms. */
function nodeCpuMs(pid: number): number {
  let total = processCpuMs(pid);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) === pid && stat.includes('(node)')) total += (Number(f[11]) + Number(f[12])) * TICK_MS;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** User + system CPU of a process and its direct children, live or ended (the postmaster and its backends). */
export function treeCpuMs(parent: number): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const f = statFields(Number(entry));
      if (Number(entry) !== parent && Number(f[1]) !== parent) continue;
      total += (Number(f[11]) + Number(f[12])) * TICK_MS;
      // The parent's count of children it has already reaped (backends that ended): not lost.
      if (Number(entry) === parent) total += (Number(f[13]) + Number(f[14])) * TICK_MS;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
