import 'reflect-metadata';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createServices } from '../server/app';
import { loadConfig } from '../server/config';
import { startMx, type RunningMx } from '../server/modules/transport';
import { MailAuthenticator } from '../server/modules/transport/mail-authentication';
import { systemClock } from '../server/platform/clock';
import { createDataSource } from '../server/platform/db/data-source';
import { startEmbeddedPostgres } from '../server/platform/db/embedded-postgres';
import { staticResolver } from '../server/platform/dns/resolver';
import { createLogger } from '../server/platform/logger';
import { startSandbox } from '../server/sandbox/sandbox-mode';
import { freePort } from '../test/support/postgres';
import { runVsPostfix } from './ingest-vs-postfix';

const USAGE = `npm run bench:ingest -- [--messages N] [--concurrency C] [--employees E] [--json]
npm run bench:ingest -- --vs-postfix [--messages N] [--concurrency C] [--size BYTES] [--rounds R] [--new-connections] [--smtp-processes N]

The whole inbound path: nodemailer (pooled SMTP sessions, in a worker thread) → MX over loopback →
recipient checks → SPF/DKIM/DMARC (mailauth, static DNS) → spam verdict → parse, store, commit → 250.
Latency is send → 250 per message (the answer comes after the commit). Target: >= 700 msg/s, p99 <= 100 ms.

--vs-postfix: Debian's Postfix (installed if missing) and the real OrgMail server side by side, both
driven by Postfix's smtp-source at the same size and concurrency, in turns; prints both rates and
the ratio (goal >= 1.0x) and exits 1 below it.`;

const SENDER_DOMAIN = 'partner-bench.example';
/** The sending "internet": SPF pass for loopback and a DMARC record, so both are really evaluated. */
const DNS = staticResolver({
  [SENDER_DOMAIN]: { TXT: ['v=spf1 ip4:127.0.0.1 ip4:192.0.2.0/24 ~all'] },
  [`_dmarc.${SENDER_DOMAIN}`]: { TXT: ['v=DMARC1; p=quarantine; rua=mailto:d@partner-bench.example'] },
});

interface ClientJob {
  port: number;
  messages: number;
  concurrency: number;
  recipients: string[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '5000' },
      concurrency: { type: 'string', default: '20' },
      employees: { type: 'string', default: '200' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      'vs-postfix': { type: 'boolean', default: false },
      size: { type: 'string', default: '4096' },
      rounds: { type: 'string', default: '3' },
      'new-connections': { type: 'boolean', default: false },
      'smtp-processes': { type: 'string', default: String(os.cpus().length) },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (values['vs-postfix']) {
    await runVsPostfix({
      messages: Number(values.messages),
      concurrency: Number(values.concurrency),
      size: Number(values.size),
      rounds: Number(values.rounds),
      employees: Number(values.employees),
      reuse: !values['new-connections'],
      smtpProcesses: Number(values['smtp-processes']),
      json: values.json,
    });
    return;
  }
  const messages = Number(values.messages);
  const concurrency = Number(values.concurrency);
  const say = (line: string) => {
    if (!values.json) process.stdout.write(line + '\n');
  };

  const root = path.resolve('.bench-data', `ingest-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const logger = createLogger({ level: 'warn' });
  const pg = await startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), port: await freePort(), logger });
  let ds: DataSource | undefined;
  let mx: RunningMx | undefined;
  try {
    const admin = new Client({ connectionString: pg.url('postgres') });
    await admin.connect();
    await admin.query('CREATE DATABASE bench');
    await admin.end();
    ds = createDataSource({ url: pg.url('bench'), poolSize: 10 });
    await ds.initialize();
    await ds.runMigrations();

    const config = loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'warn', SMTP_HOSTNAME: 'mx.bench.test' });
    const services = createServices({
      config,
      logger,
      ds,
      clock: systemClock,
      masterSecret: 'bench-master-secret-0123456789-0123456789',
      resolver: DNS,
    });
    const { tenant } = await services.tenants.ensure({
      slug: 'bench',
      name: '基准测试公司',
      timeZone: 'Asia/Shanghai',
      primaryDomain: 'bench.orgmail.test',
    });
    const emulator = await startSandbox({
      integrations: services.dingtalk,
      tenantId: tenant.id,
      callbackBaseUrl: 'http://127.0.0.1:9',
      employees: Number(values.employees),
      depth: 3,
      seed: 7,
      rateLimit: false,
    });
    emulator.setCallback(undefined);
    await services.sync.fullSync(tenant.id, { trigger: 'manual' });
    const recipients: string[] = (
      await ds.query(`SELECT email FROM members WHERE tenant_id = $1 AND email IS NOT NULL`, [tenant.id])
    ).map((r: { email: string }) => r.email);

    mx = await startMx(services.inbound, {
      host: '127.0.0.1',
      port: await freePort(),
      maxBytes: 25 * 1024 * 1024,
      hostname: config.smtp.hostname,
      logger,
    });

    const authCost = await measureAuthentication(recipients[0]!);
    const [{ before }] = await ds.query(`SELECT count(*)::int AS before FROM messages WHERE tenant_id = $1`, [
      tenant.id,
    ]);

    say(`Sending ${messages} messages over ${concurrency} SMTP sessions to ${recipients.length} mailboxes…`);
    const postmaster = Number(readFileSync(path.join(root, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const cpu0 = process.cpuUsage();
    const pgCpu0 = childrenCpuMs(postmaster);
    const worker = new Worker(__filename, {
      workerData: { port: mx.port, messages, concurrency, recipients } satisfies ClientJob,
    });
    const result = await new Promise<{
      latencies: number[];
      seconds: number;
      failures: number;
      firstError?: string;
    }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const cpu = process.cpuUsage(cpu0);
    const pgCpuMs = childrenCpuMs(postmaster) - pgCpu0;
    await worker.terminate();
    await services.newMailNotices.idle();
    const [{ after }] = await ds.query(`SELECT count(*)::int AS after FROM messages WHERE tenant_id = $1`, [
      tenant.id,
    ]);
    const [{ junk }] = await ds.query(
      `SELECT count(*)::int AS junk FROM messages m JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id
        WHERE m.tenant_id = $1 AND f.role = 'junk'`,
      [tenant.id],
    );
    await emulator.close();

    const lat = result.latencies.sort((a, b) => a - b);
    const pct = (p: number) => round(lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] ?? 0);
    const out = {
      messages,
      concurrency,
      seconds: round(result.seconds),
      perSecond: round(messages / result.seconds),
      p50Ms: pct(50),
      p99Ms: pct(99),
    };
    say('');
    say('| measure | value |');
    say('|---|---|');
    say(`| messages / SMTP sessions | ${messages} / ${concurrency} |`);
    say(`| stored copies (Junk) | ${after - before} (${junk}) |`);
    say(`| failures | ${result.failures}${result.firstError ? ` (${result.firstError})` : ''} |`);
    say(`| wall time | ${out.seconds} s |`);
    say(`| throughput | ${out.perSecond} msg/s |`);
    say(
      `| latency send → 250 | p50 ${out.p50Ms} ms, p90 ${pct(90)} ms, p99 ${out.p99Ms} ms, max ${pct(100)} ms |`,
    );
    const nodeMs = (cpu.user + cpu.system) / 1000 / messages;
    const pgMs = pgCpuMs / messages;
    say(
      `| CPU per message | node ${round(nodeMs)} ms (server + client threads), PostgreSQL ${round(pgMs)} ms |`,
    );
    say(
      `| CPU-bound ceiling on ${os.cpus().length} idle cores | ≈ ${Math.round((os.cpus().length * 1000) / (nodeMs + pgMs))} msg/s |`,
    );
    say(`| machine load (1-min average) during the run | ${round(os.loadavg()[0]!)} |`);
    say(
      `| authentication alone (static DNS) | ${round(authCost.ingest)} ms/message as ingested (unsigned: SPF + DMARC), ${round(authCost.full)} ms with mailauth's full pass (DKIM/ARC body parse) |`,
    );
    say(`| machine | ${os.cpus().length} cores, node ${process.version} |`);
    process.stdout.write(JSON.stringify(out) + '\n');
  } finally {
    await mx?.close().catch(() => undefined);
    await ds?.destroy().catch(() => undefined);
    await pg.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

/** What authentication alone costs per message: as ingest runs it (unsigned: SPF + DMARC) and in full. */
async function measureAuthentication(to: string): Promise<{ ingest: number; full: number }> {
  const auth = new MailAuthenticator({ resolver: DNS, hostname: 'mx.bench.test' });
  const raw = await renderMessage(0, to);
  const session = {
    remoteAddress: '127.0.0.1',
    helo: 'client.example',
    mailFrom: `news@${SENDER_DOMAIN}`,
    secure: false,
  };
  const time = async (headerFrom?: string) => {
    for (let i = 0; i < 50; i++) await auth.check(raw, session, headerFrom);
    const n = 500;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await auth.check(raw, session, headerFrom);
    return (performance.now() - t0) / n;
  };
  return { ingest: await time(`news@${SENDER_DOMAIN}`), full: await time(undefined) };
}

const PARAGRAPHS = [
  '张总您好，附件是第三季度华东区的采购合同草案，请您审阅。合同金额 ¥1,280,000，付款方式为分三期。',
  'Please find the quarterly figures below. Shipments to the Shanghai warehouse were 12% above plan.',
  '会议安排：周三下午两点在三楼会议室，讨论新产品发布计划与渠道合作方案，请准时参加。',
  'Our logistics partner confirmed the delivery window; invoices #20261123-01 to -12 will follow.',
];

async function renderMessage(i: number, to: string): Promise<Buffer> {
  let text = '';
  for (let p = 0; text.length < 3600; p++) text += PARAGRAPHS[(i + p) % PARAGRAPHS.length] + '\n\n';
  return new MailComposer({
    from: { name: i % 2 ? '合作伙伴' : 'Partner Co.', address: `news@${SENDER_DOMAIN}` },
    to,
    subject: i % 2 ? `季度报告 #${i}` : `Quarterly report #${i}`,
    text,
    html: `<p>${text.replace(/\n\n/g, '</p><p>')}</p>`,
    date: new Date(),
    messageId: `<bench-${i}-${process.pid}@${SENDER_DOMAIN}>`,
    attachments:
      i % 5 === 0
        ? [{ filename: '报价单.csv', content: Buffer.from('品名,数量,单价\n螺丝,1000,0.12\n'.repeat(40)) }]
        : [],
  })
    .compile()
    .build();
}

/** The client side, in a worker thread so it does not share the server's event loop. */
async function runClient(job: ClientJob): Promise<void> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: job.port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: job.concurrency,
    maxMessages: Infinity,
  });
  // A few dozen bodies rendered up front; every message still gets its own Message-ID (no dedup).
  const bodies: Buffer[] = [];
  for (let i = 0; i < 40; i++) bodies.push(await renderMessage(i, 'placeholder@bench.orgmail.test'));
  const latencies: number[] = [];
  let failures = 0;
  let firstError: string | undefined;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      for (let i = next++; i < job.messages; i = next++) {
        const to = job.recipients[(i * 7919) % job.recipients.length]!;
        const raw = Buffer.concat([
          Buffer.from(`X-Bench-Id: ${i}\r\nMessage-ID: <m${i}.${process.pid}@bench>\r\n`),
          bodies[i % bodies.length]!,
        ]);
        const start = performance.now();
        try {
          await transport.sendMail({ envelope: { from: `news@${SENDER_DOMAIN}`, to: [to] }, raw });
          latencies.push(performance.now() - start);
        } catch (err) {
          failures++;
          firstError ??= (err as Error).message;
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  transport.close();
  parentPort!.postMessage({ latencies, seconds, failures, firstError });
}

/** User + system CPU of a process's children (PostgreSQL backends), in ms, from /proc. */
function childrenCpuMs(parent: number): number {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      if (ppid !== parent && Number(entry) !== parent) continue;
      total += ((Number(fields[11]) + Number(fields[12])) * 1000) / tick;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

if (isMainThread) {
  main().catch((err) => {
    process.stderr.write(`bench:ingest failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  });
} else {
  runClient(workerData as ClientJob).catch((err) => {
    process.stderr.write(`bench client failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  });
}
