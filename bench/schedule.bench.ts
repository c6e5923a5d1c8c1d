import 'reflect-metadata';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createServices } from '../server/app';
import { loadConfig } from '../server/config';
import { SendDispatcher } from '../server/modules/scheduling';
import { systemClock } from '../server/platform/clock';
import { createDataSource } from '../server/platform/db/data-source';
import { startEmbeddedPostgres } from '../server/platform/db/embedded-postgres';
import { createLogger } from '../server/platform/logger';
import { startSandbox } from '../server/sandbox/sandbox-mode';
import { freePort } from '../test/support/postgres';

const USAGE = `npm run bench:schedule -- [--due N] [--rate R --seconds S] [--dispatchers D] [--workers W] [--senders K] [--json]

Burst (default): N scheduled sends (default 10000) all due in the same second, to an external
recipient (captured outbound queue: the cheap hand-off path), with D dispatchers (default 2, each
its own connection pool, like two scheduler replicas) of W claiming workers each. Steady: R sends
due per second, spread evenly, for S seconds. Reports lateness (sent_at - due_at), the time until
every send was handed off, and duplicates counted in SQL.`;

const MASTER = 'bench-master-secret-0123456789-0123456789';
// Due times are written relative to this while preparing, then shifted to the real start.
const EPOCH = new Date('2100-01-01T00:00:00Z');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      due: { type: 'string', default: '10000' },
      rate: { type: 'string' },
      seconds: { type: 'string', default: '30' },
      dispatchers: { type: 'string', default: '2' },
      workers: { type: 'string', default: '4' },
      senders: { type: 'string', default: '100' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const steady = values.rate !== undefined;
  const rate = Number(values.rate ?? 0);
  const total = steady ? rate * Number(values.seconds) : Number(values.due);
  const dispatchers = Number(values.dispatchers);
  const workers = Number(values.workers);
  const say = (line: string) => {
    if (!values.json) process.stdout.write(line + '\n');
  };

  const root = path.resolve('.bench-data', `schedule-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const logger = createLogger({ level: 'warn' });
  const pg = await startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), port: await freePort(), logger });
  const pools: DataSource[] = [];
  const running: SendDispatcher[] = [];
  try {
    const admin = new Client({ connectionString: pg.url('postgres') });
    await admin.connect();
    await admin.query('CREATE DATABASE bench');
    await admin.end();
    const ds = createDataSource({ url: pg.url('bench'), poolSize: 10 });
    pools.push(ds);
    await ds.initialize();
    await ds.runMigrations();
    const config = loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'warn' });
    const deps = { config, logger, ds, clock: systemClock, masterSecret: MASTER };
    const services = createServices(deps);
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
      employees: Number(values.senders) + 10,
      depth: 2,
      seed: 7,
      rateLimit: false,
    });
    emulator.setCallback(undefined);
    await services.sync.fullSync(tenant.id, { trigger: 'manual' });
    await emulator.close();
    const senders: { member_id: string; mailbox_id: string }[] = await ds.query(
      `SELECT m.id AS member_id, b.id AS mailbox_id FROM members m JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 AND m.status = 'active' ORDER BY m.id LIMIT $2`,
      [tenant.id, Number(values.senders)],
    );
    say(`Tenant with ${senders.length} senders; scheduling ${total} sends…`);

    // One composed draft per sender (the real compose path), cloned in SQL with unique Message-IDs.
    const prepStart = performance.now();
    const templates: string[] = [];
    for (const s of senders) {
      const t = await ds.transaction(async (em) => {
        const sender = await services.drafts.sender(em, { tenantId: tenant.id, memberId: s.member_id });
        return services.drafts.write(em, sender, {
          id: null,
          folderRole: 'scheduled',
          state: {
            to: [{ name: '合作伙伴', address: 'partner@example.com' }],
            cc: [],
            bcc: [],
            subject: '定时发送基准测试',
            text: '您好，这是一封定时发送的测试邮件。',
            html: null,
            importance: 'normal',
            inReplyTo: null,
            references: [],
          },
          attachments: [],
          replyOf: null,
          forwardOf: null,
        });
      });
      templates.push(t.id);
    }
    // Cloned with due times relative to a placeholder epoch, moved to the real time once all exist.
    let made = 0;
    for (let i = 0; i < templates.length; i++) {
      const count = Math.floor(total / templates.length) + (i < total % templates.length ? 1 : 0);
      if (count > 0) {
        await cloneScheduled(
          ds,
          tenant.id,
          templates[i]!,
          senders[i]!.member_id,
          i,
          templates.length,
          count,
          steady ? rate : 0,
        );
      }
      made += count;
    }
    const firstDue = new Date(Date.now() + 3_000);
    firstDue.setMilliseconds(0);
    await ds.query(
      `UPDATE scheduled_sends SET due_at = $2::timestamptz + (due_at - $3::timestamptz),
              next_attempt_at = $2::timestamptz + (due_at - $3::timestamptz)
        WHERE tenant_id = $1 AND status = 'queued'`,
      [tenant.id, firstDue, EPOCH],
    );
    say(
      `Prepared ${made} in ${((performance.now() - prepStart) / 1000).toFixed(1)} s; first due ${firstDue.toISOString()}`,
    );

    for (let i = 0; i < dispatchers; i++) {
      const pool = i === 0 ? ds : createDataSource({ url: pg.url('bench'), poolSize: workers + 4 });
      if (i > 0) {
        await pool.initialize();
        pools.push(pool);
      }
      const svc = i === 0 ? services : createServices({ ...deps, ds: pool });
      const d = new SendDispatcher(
        { ds: pool, clock: systemClock, outgoing: svc.outgoing, drafts: svc.drafts, logger },
        { workers, batchSize: 200 },
      );
      d.start();
      running.push(d);
    }

    const deadline = firstDue.getTime() + (steady ? Number(values.seconds) * 1000 : 0) + 300_000;
    let queued = total;
    while (queued > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      [{ queued }] = await ds.query(
        `SELECT count(*)::int AS queued FROM scheduled_sends WHERE tenant_id = $1 AND status = 'queued'`,
        [tenant.id],
      );
    }
    for (const d of running) await d.stop();

    const [m] = await ds.query(
      `SELECT count(*) FILTER (WHERE status = 'sent')::int AS sent,
              count(*) FILTER (WHERE status = 'failed')::int AS failed,
              extract(epoch FROM max(sent_at) - $2::timestamptz) AS all_seconds,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - due_at) * 1000) AS p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - due_at) * 1000) AS p99,
              max(extract(epoch FROM sent_at - due_at) * 1000) AS max
         FROM scheduled_sends WHERE tenant_id = $1`,
      [tenant.id, firstDue],
    );
    // Every hand-off is one outbound queue row (one remote domain); a second row for a message is a duplicate.
    const [dup] = await ds.query(
      `SELECT count(*)::int - count(DISTINCT message_id)::int AS duplicates, count(*)::int AS queue_rows
         FROM outbound_queue WHERE tenant_id = $1`,
      [tenant.id],
    );
    const [sentCopies] = await ds.query(
      `SELECT count(*)::int AS n FROM messages m JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id
        WHERE m.tenant_id = $1 AND f.role = 'sent'`,
      [tenant.id],
    );
    const result = {
      due: total,
      allQueuedSeconds: round(Number(m.all_seconds)),
      p99LatenessMs: round(Number(m.p99)),
      duplicates: dup.duplicates,
    };
    say('');
    say(
      `| measure (${steady ? `steady ${rate}/s for ${values.seconds} s` : `burst, all due at once`}) | value |`,
    );
    say('|---|---|');
    say(`| sends / dispatchers × workers | ${total} / ${dispatchers} × ${workers} |`);
    say(`| sent / failed / still queued | ${m.sent} / ${m.failed} / ${queued} |`);
    say(`| all handed off after the first due time | ${result.allQueuedSeconds} s |`);
    say(
      `| lateness p50 / p99 / max | ${round(Number(m.p50))} / ${result.p99LatenessMs} / ${round(Number(m.max))} ms |`,
    );
    say(`| outbound queue rows / Sent copies | ${dup.queue_rows} / ${sentCopies.n} |`);
    say(`| duplicates (SQL) | ${result.duplicates} |`);
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    for (const d of running) await d.stop().catch(() => undefined);
    for (const p of pools.reverse()) await p.destroy().catch(() => undefined);
    await pg.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * `count` copies of a composed template (each with its own Message-ID and blob), each with a
 * scheduled send: all due at `firstDue`, or `rate` per second from it, spread evenly.
 */
async function cloneScheduled(
  ds: DataSource,
  tenantId: string,
  templateId: string,
  memberId: string,
  index: number,
  stride: number,
  count: number,
  rate: number,
): Promise<void> {
  await ds.query(
    `WITH t AS (
       SELECT m.*, b.content AS raw, d.fields FROM messages m
         JOIN mail_blobs b ON b.tenant_id = m.tenant_id AND b.sha256 = m.blob_sha256
         JOIN message_drafts d ON d.tenant_id = m.tenant_id AND d.message_id = m.id
        WHERE m.tenant_id = $1 AND m.id = $2
     ), g AS (
       SELECT gen_random_uuid() AS id, n, gen_random_uuid()::text || '@' || split_part(t.message_id, '@', 2) AS mid
         FROM t, generate_series(0, $4 - 1) AS n
     ), c AS (
       SELECT g.id, g.n, g.mid, convert_to(replace(convert_from(t.raw, 'UTF8'), t.message_id, g.mid), 'UTF8') AS raw FROM g, t
     ), h AS (
       SELECT c.*, encode(sha256(c.raw), 'hex') AS sha FROM c
     ), blobs AS (
       INSERT INTO mail_blobs (tenant_id, sha256, size, content) SELECT $1, h.sha, length(h.raw), h.raw FROM h
     ), msgs AS (
       INSERT INTO messages (tenant_id, id, mailbox_id, folder_id, blob_sha256, message_id, thread_id, subject, from_name,
                             from_address, to_addresses, cc_addresses, snippet, has_attachments, attachments, size,
                             importance, search_tokens, received_at, sent_at, is_seen)
       SELECT $1, h.id, t.mailbox_id, t.folder_id, h.sha, h.mid, gen_random_uuid(), t.subject, t.from_name, t.from_address,
              t.to_addresses, t.cc_addresses, t.snippet, t.has_attachments, t.attachments, length(h.raw), t.importance,
              t.search_tokens, t.received_at, t.sent_at, true
         FROM h, t
     ), drafts AS (
       INSERT INTO message_drafts (tenant_id, message_id, mailbox_id, version, fields)
       SELECT $1, h.id, t.mailbox_id, 1, jsonb_set(t.fields, '{messageIdHeader}', to_jsonb('<' || h.mid || '>')) FROM h, t
     )
     INSERT INTO scheduled_sends (tenant_id, mailbox_id, member_id, message_id, kind, due_at, next_attempt_at, created_at, updated_at)
     SELECT $1, t.mailbox_id, $3, h.id, 'scheduled', d.due, d.due, now(), now()
       FROM h, t, LATERAL (SELECT CASE WHEN $5::int > 0
                                  THEN $6::timestamptz + (($7::int + h.n * $8::int) / $5::float8) * interval '1 second'
                                  ELSE $6::timestamptz END AS due) d`,
    [tenantId, templateId, memberId, count, rate, EPOCH, index, stride],
  );
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

main().catch((err) => {
  process.stderr.write(`bench:schedule failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
