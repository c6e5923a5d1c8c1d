import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { createServices, type Services } from '../../server/app';
import { loadConfig } from '../../server/config';
import { systemClock } from '../../server/platform/clock';
import { createDataSource } from '../../server/platform/db/data-source';
import { staticResolver, type DnsTable } from '../../server/platform/dns/resolver';
import { createLogger } from '../../server/platform/logger';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createTestDatabase, freePort, stopTestPostgres } from '../support/postgres';
import { httpOk, runServer, waitFor, type Started } from '../support/process';
import type { SmtpSink } from '../support/smtp-sink';
import { startSlowSink } from './crash-sink';

export const REMOTE_DOMAIN = 'remote-crash.test';
const JWT_SECRET = 'crash-test-master-secret-0123456789-abcdefghijkl';

export interface Member {
  id: string;
  email: string;
  mailboxId: string;
}

/**
 * What survives the server's kills: the embedded PostgreSQL, the DingTalk emulator, the loopback
 * sink standing in for the remote MX, and an in-process service graph used for setup and checks.
 */
export interface CrashEnv {
  ds: DataSource;
  services: Services;
  tenantId: string;
  members: Member[];
  /** Members with an app password (SMTP submission user name and password). */
  submitters: (Member & { user: string; pass: string })[];
  sink: SmtpSink;
  server: ServerProcess;
  token(memberId: string): string;
  close(): Promise<void>;
}

export async function setupCrashEnv(opts: { employees: number; rand: () => number }): Promise<CrashEnv> {
  const root = path.resolve('.test-data', `crash-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const { url } = await createTestDatabase();
  const sink = await startSlowSink(opts.rand);
  const dns: DnsTable = {
    [REMOTE_DOMAIN]: { MX: [{ exchange: `mx.${REMOTE_DOMAIN}`, priority: 10 }] },
    [`mx.${REMOTE_DOMAIN}`]: { A: ['127.0.0.1'] },
  };
  const dnsFile = path.join(root, 'dns.json');
  writeFileSync(dnsFile, JSON.stringify(dns));

  const ports = { http: await freePort(), smtp: await freePort(), submission: await freePort() };
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    PORT: String(ports.http),
    SUBMISSION_PORT: String(ports.submission),
    JWT_SECRET,
  });
  const ds = createDataSource({ url, poolSize: 4 });
  await ds.initialize();
  const services = createServices({
    config,
    logger: createLogger({ level: 'silent' }),
    ds,
    clock: systemClock,
    masterSecret: JWT_SECRET,
    resolver: staticResolver(dns),
  });
  const { tenant } = await services.tenants.ensure({
    slug: 'crashco',
    name: '断电测试公司',
    timeZone: 'Asia/Shanghai',
    primaryDomain: 'crashco.test',
  });
  const emulator: RunningEmulator = await startSandbox({
    integrations: services.dingtalk,
    tenantId: tenant.id,
    callbackBaseUrl: `http://127.0.0.1:${ports.http}`,
    employees: opts.employees,
    depth: 2,
    seed: 8,
  });
  emulator.setCallback(undefined);
  await services.sync.fullSync(tenant.id, { trigger: 'manual' });
  const rows: { id: string; email: string; mailbox_id: string }[] = await ds.query(
    `SELECT m.id, m.email, b.id AS mailbox_id FROM members m
       JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id AND b.status = 'active'
      WHERE m.tenant_id = $1 AND m.status = 'active' ORDER BY m.email`,
    [tenant.id],
  );
  const members = rows.map((r) => ({ id: r.id, email: r.email.toLowerCase(), mailboxId: r.mailbox_id }));
  if (members.length < 6) throw new Error(`only ${members.length} members with mailboxes`);
  const ctx = { requestId: 'crash-setup', ip: '127.0.0.1', userAgent: null };
  const submitters: CrashEnv['submitters'] = [];
  for (const m of members.slice(0, 2)) {
    const actor = {
      tenantId: tenant.id,
      memberId: m.id,
      roles: ['employee' as const],
      scope: 'full' as const,
    };
    const created = await services.appPasswords.create(actor, 'crash test', ctx);
    submitters.push({ ...m, user: created.username, pass: created.password });
  }

  const server = new ServerProcess(
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: url,
      DATA_DIR: path.join(root, 'data'),
      HOST: '127.0.0.1',
      PORT: String(ports.http),
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(ports.smtp),
      SUBMISSION_HOST: '127.0.0.1',
      SUBMISSION_PORT: String(ports.submission),
      OUTBOUND_MODE: 'deliver',
      OUTBOUND_MX_PORT: String(sink.port),
      DNS_STATIC_FILE: dnsFile,
      JWT_SECRET,
    },
    path.join(root, 'server.log'),
    ports,
  );
  return {
    ds,
    services,
    tenantId: tenant.id,
    members,
    submitters,
    sink,
    server,
    token: (memberId) =>
      services.jwt.sign({ tenantId: tenant.id, memberId, roles: ['employee'], scope: 'full' }).token,
    close: async () => {
      await server.stop();
      await sink.close();
      await emulator.close();
      await ds.destroy();
      await stopTestPostgres();
      if (!process.env.KEEP_CRASH_DATA) rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The OrgMail binary as a child process: started, SIGKILLed and restarted on the same ports. */
export class ServerProcess {
  private run: Started | undefined;
  starts = 0;

  constructor(
    private readonly env: Record<string, string>,
    readonly logFile: string,
    readonly ports: { http: number; smtp: number; submission: number },
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.ports.http}`;
  }

  async start(): Promise<void> {
    const run = runServer(this.env);
    this.run = run;
    this.starts++;
    const n = this.starts;
    run.child.stdout?.on('data', (d) => appendFileSync(this.logFile, d));
    run.child.stderr?.on('data', (d) => appendFileSync(this.logFile, d));
    appendFileSync(this.logFile, `\n===== start #${n} at ${new Date().toISOString()} =====\n`);
    let exited = false;
    void run.exited.then(() => (exited = true));
    await waitFor(
      async () => {
        if (exited) throw new Error(`the server exited during start-up:\n${run.output().slice(-2000)}`);
        return (
          (await httpOk(`${this.url}/readyz`)) &&
          (await portOpen(this.ports.smtp)) &&
          (await portOpen(this.ports.submission))
        );
      },
      60_000,
      'the server to be ready',
    );
  }

  /** SIGKILL: no shutdown hooks, no draining; whatever was in flight is cut off. */
  async kill(): Promise<void> {
    const run = this.run;
    if (!run) return;
    this.run = undefined;
    run.child.kill('SIGKILL');
    await run.exited;
    appendFileSync(this.logFile, `\n===== SIGKILL at ${new Date().toISOString()} =====\n`);
  }

  async stop(): Promise<void> {
    const run = this.run;
    if (!run) return;
    this.run = undefined;
    run.child.kill('SIGTERM');
    const timer = setTimeout(() => run.child.kill('SIGKILL'), 15_000);
    await run.exited;
    clearTimeout(timer);
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
