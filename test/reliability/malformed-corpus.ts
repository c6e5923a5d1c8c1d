import 'reflect-metadata';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { runningEmbeddedUrl } from '../../server/platform/db/embedded-postgres';
import { MALFORMED_KINDS, nthMalformedCase, type MalformedKind } from '../support/malformed-mail';
import { freePort } from '../support/postgres';
import { httpOk, runServer, waitFor } from '../support/process';
import { hasEnhancedCode, sendRaw } from '../support/raw-smtp';

const USAGE = `npm run test:malformed -- [--count N] [--seed S] [--max-bytes B] [--rss-limit-mb M]

Soak run of the malformed-mail corpus (test/support/malformed-mail.ts) against the real server
binary (dist/server/main.js) in a child process: every message must get 250 or a 4xx/5xx reply with
an enhanced status code, the server must keep answering, and its RSS (sampled from /proc every
250 ms) must stay under the limit. Prints a table per kind; exits 1 on any failure.`;

interface KindStats {
  sent: number;
  ok250: number;
  temp4xx: number;
  perm5xx: number;
  bad: number;
  totalMs: number;
  maxMs: number;
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const mb = (n: number) => (n / 1024 / 1024).toFixed(0);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '2000' },
      seed: { type: 'string', default: '20261123' },
      'max-bytes': { type: 'string', default: String(1024 * 1024) },
      'rss-limit-mb': { type: 'string', default: '768' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const count = Number(values.count);
  const seed = Number(values.seed);
  const maxBytes = Number(values['max-bytes']);
  const rssLimit = Number(values['rss-limit-mb']) * 1024 * 1024;

  const dataDir = path.resolve('.test-data', `malformed-soak-${process.pid}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  const dnsFile = path.join(dataDir, 'dns.json');
  writeFileSync(dnsFile, '{}'); // no lookup leaves the machine
  const pgPort = await freePort();
  const httpPort = await freePort();
  const smtpPort = await freePort();
  const server = runServer({
    DATA_DIR: dataDir,
    EMBEDDED_PG_PORT: String(pgPort),
    PORT: String(httpPort),
    SMTP_PORT: String(smtpPort),
    SUBMISSION_PORT: String(await freePort()),
    SMTP_MAX_BYTES: String(maxBytes),
    SANDBOX_EMPLOYEES: '10',
    SANDBOX_DEPTH: '2',
    DNS_STATIC_FILE: dnsFile,
    LOG_LEVEL: 'error',
  });
  const failures: string[] = [];
  const temporary: string[] = [];
  let crashed = false;
  let stopping = false;
  void server.exited.then((code) => {
    if (stopping) return;
    crashed = true;
    failures.push(`server exited with code ${code}: ${server.output().slice(-2000)}`);
  });
  const samples: number[] = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    await waitFor(() => httpOk(`http://127.0.0.1:${httpPort}/readyz`), 120_000, 'the server');
    const db = new Client({
      connectionString: await runningEmbeddedUrl(path.join(dataDir, 'pg'), pgPort, 'orgmail'),
    });
    let recipient: string | undefined;
    await db.connect();
    try {
      await waitFor(
        async () => {
          const rows = await db.query(
            `SELECT m.email FROM members m JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
              WHERE b.status = 'active' AND m.email IS NOT NULL ORDER BY m.email LIMIT 1`,
          );
          recipient = rows.rows[0]?.email;
          return !!recipient;
        },
        120_000,
        'the sandbox directory sync',
      );
    } finally {
      await db.end();
    }
    const pid = server.child.pid!;
    const rssStart = rssOf(pid);
    sampler = setInterval(() => samples.push(rssOf(pid)), 250);
    const stats = new Map<MalformedKind, KindStats>(
      MALFORMED_KINDS.map((k) => [
        k,
        { sent: 0, ok250: 0, temp4xx: 0, perm5xx: 0, bad: 0, totalMs: 0, maxMs: 0 },
      ]),
    );
    const started = Date.now();
    for (let i = 0; i < count && !crashed; i++) {
      const c = nthMalformedCase(seed, i, { maxBytes, to: recipient });
      const t0 = Date.now();
      const result = await sendRaw({
        port: smtpPort,
        from: 'sender@example.cn',
        to: [recipient!],
        data: c.raw,
      });
      const ms = Date.now() - t0;
      const s = stats.get(c.kind)!;
      s.sent++;
      s.totalMs += ms;
      s.maxMs = Math.max(s.maxMs, ms);
      const { code, text } = result.reply;
      const proper =
        result.stage === 'data-end' &&
        result.quitOk &&
        (code === 250 || (code >= 400 && code < 600 && hasEnhancedCode(result.reply)));
      const expected =
        (c.expect !== 'stored' || code === 250) &&
        (c.expect !== 'refused' || code !== 250) &&
        (!c.refuseCode || code === 250 || code === c.refuseCode);
      if (code === 250) s.ok250++;
      else if (code >= 400 && code < 500) {
        s.temp4xx++;
        // A temporary answer makes the sender retry: worth a look when it is not "mailbox full".
        temporary.push(`${c.name} (${c.raw.length} bytes, index ${i}): ${code} ${text.slice(0, 120)}`);
      } else if (code >= 500 && code < 600) s.perm5xx++;
      if (!proper || !expected) {
        s.bad++;
        failures.push(`${c.name}: ${result.stage} ${code} ${text.slice(0, 120)}`);
      }
      if ((i + 1) % 100 === 0) process.stdout.write(`  ${i + 1}/${count} sent, RSS ${mb(rssOf(pid))} MB\n`);
    }
    clearInterval(sampler);
    samples.push(rssOf(pid));
    const rssPeak = Math.max(rssStart, ...samples);
    const rssEnd = samples[samples.length - 1];
    const alive = await httpOk(`http://127.0.0.1:${httpPort}/readyz`);
    if (!alive) failures.push('the server no longer answers /readyz');
    if (rssPeak > rssLimit) failures.push(`RSS peak ${mb(rssPeak)} MB over the ${mb(rssLimit)} MB limit`);

    console.log(`\nmalformed corpus soak: ${count} messages, seed ${seed}, SMTP_MAX_BYTES ${maxBytes}`);
    console.log(`elapsed ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    console.log(['kind'.padEnd(24), 'sent', ' 250', ' 4xx', ' 5xx', ' bad', 'avg ms', 'max ms'].join('  '));
    for (const [kind, s] of stats) {
      if (!s.sent) continue;
      console.log(
        [
          kind.padEnd(24),
          String(s.sent).padStart(4),
          String(s.ok250).padStart(4),
          String(s.temp4xx).padStart(4),
          String(s.perm5xx).padStart(4),
          String(s.bad).padStart(4),
          String(Math.round(s.totalMs / s.sent)).padStart(6),
          String(s.maxMs).padStart(6),
        ].join('  '),
      );
    }
    console.log(
      `\nserver RSS: start ${mb(rssStart)} MB, peak ${mb(rssPeak)} MB, end ${mb(rssEnd)} MB (limit ${mb(rssLimit)} MB); still answering: ${alive}`,
    );
  } finally {
    if (sampler) clearInterval(sampler);
    if (!crashed) {
      stopping = true;
      server.child.kill('SIGTERM');
      await Promise.race([server.exited, new Promise((r) => setTimeout(r, 20_000))]);
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (temporary.length) {
    console.log(`\n${temporary.length} temporary refusal(s):`);
    for (const t of temporary.slice(0, 20)) console.log(`  ${t}`);
  }
  if (failures.length) {
    console.log(`\n${failures.length} failure(s):`);
    for (const f of failures.slice(0, 50)) console.log(`  ${f}`);
    return 1;
  }
  console.log('\nOK: every message stored or refused with a proper reply');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
