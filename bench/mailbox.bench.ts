import 'reflect-metadata';
import { mkdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createHttp, createServices } from '../server/app';
import { loadConfig } from '../server/config';
import { documentTokens, putBlob, systemFolderIds } from '../server/modules/mail';
import { encodeCursor } from '../server/modules/mail/mail.presenter';
import { systemClock } from '../server/platform/clock';
import { createDataSource } from '../server/platform/db/data-source';
import { startEmbeddedPostgres, type RunningPostgres } from '../server/platform/db/embedded-postgres';
import { createLogger } from '../server/platform/logger';
import { startSandbox } from '../server/sandbox/sandbox-mode';
import { freePort } from '../test/support/postgres';
import { CN_NAMES, CN_WORDS, EN_WORDS, makeRng, queriesCjk, queriesEnglish } from './mailbox-vocabulary';

const USAGE = `npm run bench:mailbox -- --messages N [--json] [--keep]

Fills ONE mailbox with N messages (set-based INSERT … SELECT generate_series, subjects mixing
Chinese and English, tokens from documentTokens), then measures the real HTTP API with a token:
first-page and deep-page list latency, English and Chinese search latency, plus EXPLAIN ANALYZE.`;

const TEMPLATES = 5000;
const CHUNK = 100_000;
const SAMPLES = 200;
// indexes rebuilt after the fill (much faster than maintaining them row by row)
const REBUILT = [
  'messages_tenant_list_idx',
  'messages_tenant_search_idx',
  'messages_tenant_mailbox_date_idx',
  'messages_tenant_mailbox_thread_idx',
  'messages_tenant_unread_idx',
  'messages_tenant_thread_idx',
  'messages_tenant_blob_idx',
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '100000' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const total = Number(values.messages);
  if (!Number.isInteger(total) || total < 1000) throw new Error('--messages must be an integer ≥ 1000');
  const say = (line: string) => {
    if (!values.json) process.stdout.write(line + '\n');
  };

  const root = path.resolve('.bench-data', `mailbox-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const logger = createLogger({ level: 'warn' });
  const dataDir = path.join(root, 'pg');
  const port = await freePort();
  let pg: RunningPostgres = await startEmbeddedPostgres({ dataDir, port, logger });
  let server: Server | undefined;
  let ds: DataSource | undefined;
  try {
    // A server sized for a mailbox this big (the defaults are for a laptop demo), then a restart.
    const admin = new Client({ connectionString: pg.url('postgres') });
    await admin.connect();
    await admin.query(`ALTER SYSTEM SET shared_buffers = '1GB'`);
    await admin.query(`ALTER SYSTEM SET effective_cache_size = '4GB'`);
    await admin.query(`ALTER SYSTEM SET maintenance_work_mem = '1GB'`);
    await admin.query(`ALTER SYSTEM SET work_mem = '16MB'`);
    await admin.query(`ALTER SYSTEM SET max_wal_size = '8GB'`);
    await admin.query(`ALTER SYSTEM SET random_page_cost = 1.1`);
    await admin.query('CREATE DATABASE bench');
    await admin.end();
    await pg.stop();
    pg = await startEmbeddedPostgres({ dataDir, port, logger });

    ds = createDataSource({ url: pg.url('bench'), poolSize: 10 });
    await ds.initialize();
    await ds.runMigrations();
    const config = loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'warn' });
    const deps = {
      config,
      logger,
      ds,
      clock: systemClock,
      masterSecret: 'bench-master-secret-0123456789-0123456789',
    };
    const services = createServices(deps);
    const http = createHttp(deps, services);
    server = await new Promise<Server>((resolve) => {
      const s = http.listen(0, '127.0.0.1', () => resolve(s));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
    const { tenant } = await services.tenants.ensure({
      slug: 'bench',
      name: '基准测试公司',
      timeZone: 'Asia/Shanghai',
      primaryDomain: 'bench.orgmail.test',
    });
    const emulator = await startSandbox({
      integrations: services.dingtalk,
      tenantId: tenant.id,
      callbackBaseUrl: url,
      employees: 3,
      depth: 1,
      seed: 1,
    });
    await services.sync.fullSync(tenant.id, { trigger: 'manual' });
    await emulator.close();
    const [owner] = await ds.query(
      `SELECT b.id AS mailbox_id, b.member_id FROM mailboxes b WHERE b.tenant_id = $1 AND b.member_id IS NOT NULL
        ORDER BY b.id LIMIT 1`,
      [tenant.id],
    );
    const token = services.jwt.sign({
      tenantId: tenant.id,
      memberId: owner.member_id,
      roles: ['employee'],
      scope: 'full',
    }).token;

    // ---- fill ----
    const fillStart = performance.now();
    const em = ds.manager;
    const folders: Record<string, string> = {};
    for (const role of ['inbox', 'archive', 'sent'] as const) {
      folders[role] = (await systemFolderIds(em, tenant.id, [owner.mailbox_id], role)).get(owner.mailbox_id)!;
    }
    const [custom] = await ds.query(
      `INSERT INTO folders (tenant_id, mailbox_id, name) VALUES ($1, $2, '项目 Projects') RETURNING id`,
      [tenant.id, owner.mailbox_id],
    );
    const blob = await putBlob(
      em,
      tenant.id,
      Buffer.from('From: bench@example.com\r\nSubject: bench\r\n\r\nOne blob shared by every bench row.\r\n'),
    );
    const rng = makeRng(42);
    const pick = <T>(list: readonly T[]) => list[Math.floor(rng() * list.length)]!;
    const templates = Array.from({ length: TEMPLATES }, (_, k) => {
      const cn = pick(CN_WORDS);
      const en = pick(EN_WORDS);
      const subject =
        k % 3 === 0
          ? `${cn} ${en} ${pick(CN_WORDS)}`
          : k % 3 === 1
            ? `Re: ${en} ${pick(EN_WORDS)} - ${cn}`
            : `【${cn}】${pick(CN_WORDS)} proj${k}`;
      const name = pick(CN_NAMES);
      const address = `user${k % 300}@partner${k % 40}.com`;
      const body = `${pick(CN_WORDS)}${pick(CN_WORDS)}，${pick(EN_WORDS)} ${pick(EN_WORDS)} ${pick(EN_WORDS)}。请查收 ${pick(CN_WORDS)}。`;
      return {
        k,
        subject,
        name,
        address,
        snippet: body,
        tokens: documentTokens(subject, `${name} ${address}`, body),
      };
    });
    await ds.query(`CREATE UNLOGGED TABLE bench_templates (k int PRIMARY KEY, subject text, from_name text,
      from_address text, snippet text, tokens text[])`);
    await ds.query(
      `INSERT INTO bench_templates
       SELECT k, subject, from_name, from_address, snippet, ARRAY(SELECT jsonb_array_elements_text(tokens))
         FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
           AS t(k, subject, from_name, from_address, snippet, tokens)`,
      [
        templates.map((t) => t.k),
        templates.map((t) => t.subject),
        templates.map((t) => t.name),
        templates.map((t) => t.address),
        templates.map((t) => t.snippet),
        templates.map((t) => JSON.stringify(t.tokens)),
      ],
    );
    // the migrations' own definitions, dropped for the fill and rebuilt after it (much faster)
    const indexDefs: { indexdef: string }[] = await ds.query(
      `SELECT indexdef FROM pg_indexes WHERE tablename = 'messages' AND indexname = ANY($1)`,
      [REBUILT],
    );
    for (const index of REBUILT) await ds.query(`DROP INDEX IF EXISTS ${index}`);
    const now = Date.now();
    for (let start = 1; start <= total; start += CHUNK) {
      const end = Math.min(total, start + CHUNK - 1);
      await ds.query(
        `INSERT INTO messages (tenant_id, mailbox_id, folder_id, blob_sha256, message_id, thread_id, subject, from_name,
                               from_address, to_addresses, snippet, has_attachments, size, importance, is_seen,
                               is_flagged, search_tokens, received_at)
         SELECT $1, $2,
                CASE WHEN g % 20 < 16 THEN $3::uuid WHEN g % 20 < 18 THEN $4::uuid WHEN g % 20 = 18 THEN $5::uuid ELSE $6::uuid END,
                $7, 'bench-' || g || '@bench.orgmail.test', gen_random_uuid(), t.subject || ' PO' || g,
                t.from_name, t.from_address, '[{"name":"收件人","address":"owner@bench.orgmail.test"}]'::jsonb,
                t.snippet, g % 9 = 0, 2048 + g % 5000, CASE WHEN g % 50 = 0 THEN 'high' ELSE 'normal' END,
                g % 7 <> 0 AND g < $9 - 500, g % 97 = 0, t.tokens || ('po' || g),
                to_timestamp($8::double precision / 1000) - make_interval(secs => ($9 - g) * 30)
           FROM generate_series($10::int, $11::int) g
           JOIN bench_templates t ON t.k = (g::bigint * 7919) % ${TEMPLATES}`,
        [
          tenant.id,
          owner.mailbox_id,
          folders.inbox,
          folders.archive,
          folders.sent,
          custom.id,
          blob,
          now,
          total,
          start,
          end,
        ],
      );
      say(`  filled ${end.toLocaleString('en')} / ${total.toLocaleString('en')}`);
    }
    await ds.query(`DROP TABLE bench_templates`);
    const insertSeconds = (performance.now() - fillStart) / 1000;
    const indexStart = performance.now();
    for (const { indexdef } of indexDefs) await ds.query(indexdef);
    await ds.query(
      `UPDATE mailboxes SET used_bytes = (SELECT sum(size) FROM messages WHERE tenant_id = $1 AND mailbox_id = $2)
      WHERE tenant_id = $1 AND id = $2`,
      [tenant.id, owner.mailbox_id],
    );
    await ds.query(`VACUUM ANALYZE messages`);
    const indexSeconds = (performance.now() - indexStart) / 1000;
    say(
      `Filled ${total.toLocaleString('en')} messages: insert ${insertSeconds.toFixed(1)} s, indexes + analyze ${indexSeconds.toFixed(1)} s`,
    );

    // ---- measure over HTTP ----
    const get = async (
      pathAndQuery: string,
    ): Promise<{ ms: number; body: { messages: unknown[]; nextCursor: string | null } }> => {
      const t0 = performance.now();
      const res = await fetch(url + pathAndQuery, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { messages: unknown[]; nextCursor: string | null };
      const ms = performance.now() - t0;
      if (res.status !== 200)
        throw new Error(`${pathAndQuery} answered ${res.status}: ${JSON.stringify(body)}`);
      return { ms, body };
    };
    for (let i = 0; i < 20; i++) await get('/mail/messages?limit=50'); // warm-up

    const firstPage: number[] = [];
    for (let i = 0; i < SAMPLES; i++) firstPage.push((await get('/mail/messages?limit=50')).ms);

    const inboxCount = Math.floor(total * 0.8);
    const deepRows: { id: string; received_key: string }[] = await ds.query(
      `SELECT id, to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS received_key
         FROM messages WHERE tenant_id = $1 AND mailbox_id = $2 AND folder_id = $3
        ORDER BY received_at DESC, id DESC OFFSET $4 LIMIT ${SAMPLES}`,
      [tenant.id, owner.mailbox_id, folders.inbox, Math.floor(inboxCount * 0.9) - SAMPLES],
    );
    const deepPage: number[] = [];
    for (const row of deepRows)
      deepPage.push((await get(`/mail/messages?limit=50&cursor=${encodeCursor(row)}`)).ms);
    const folderList: number[] = [];
    for (let i = 0; i < 50; i++) folderList.push((await get('/mail/folders')).ms);
    const unreadPage: number[] = [];
    for (let i = 0; i < 50; i++) unreadPage.push((await get('/mail/messages?limit=50&unread=1')).ms);

    const searchRng = makeRng(7);
    const english = queriesEnglish(searchRng, total, 150);
    const cjk = queriesCjk(searchRng, 150);
    const searchEn: number[] = [];
    const searchCjk: number[] = [];
    let hitsEn = 0;
    let hitsCjk = 0;
    for (const q of english) {
      const r = await get(`/mail/search?limit=50&q=${encodeURIComponent(q)}`);
      searchEn.push(r.ms);
      hitsEn += r.body.messages.length > 0 ? 1 : 0;
    }
    for (const q of cjk) {
      const r = await get(`/mail/search?limit=50&q=${encodeURIComponent(q)}`);
      searchCjk.push(r.ms);
      hitsCjk += r.body.messages.length > 0 ? 1 : 0;
    }
    const slowest = [
      ...english.map((q, i) => [q, searchEn[i]!] as const),
      ...cjk.map((q, i) => [q, searchCjk[i]!] as const),
    ]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5);

    const p = (list: number[], q: number) => {
      const s = [...list].sort((a, b) => a - b);
      return Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]! * 100) / 100;
    };
    const [{ size }] = await ds.query(`SELECT pg_size_pretty(pg_total_relation_size('messages')) AS size`);
    say('');
    say(
      `| measure (${total.toLocaleString('en')} messages in one mailbox, table ${size}) | p50 ms | p95 ms | p99 ms |`,
    );
    say('|---|---|---|---|');
    say(`| list, first page (50) | ${p(firstPage, 0.5)} | ${p(firstPage, 0.95)} | ${p(firstPage, 0.99)} |`);
    say(
      `| list, deep page (cursor ~90% down) | ${p(deepPage, 0.5)} | ${p(deepPage, 0.95)} | ${p(deepPage, 0.99)} |`,
    );
    say(`| list, unread only | ${p(unreadPage, 0.5)} | ${p(unreadPage, 0.95)} | ${p(unreadPage, 0.99)} |`);
    say(
      `| folders with total and unread counts | ${p(folderList, 0.5)} | ${p(folderList, 0.95)} | ${p(folderList, 0.99)} |`,
    );
    say(
      `| search, English (${english.length} queries, ${hitsEn} with hits) | ${p(searchEn, 0.5)} | ${p(searchEn, 0.95)} | ${p(searchEn, 0.99)} |`,
    );
    say(
      `| search, Chinese (${cjk.length} queries, ${hitsCjk} with hits) | ${p(searchCjk, 0.5)} | ${p(searchCjk, 0.95)} | ${p(searchCjk, 0.99)} |`,
    );
    say(`Slowest searches: ${slowest.map(([q, ms]) => `${q} ${ms.toFixed(1)} ms`).join(', ')}`);

    if (!values.json) {
      // EXPLAIN ANALYZE of the statements the services really run: capture them, then explain each.
      const actor = {
        tenantId: tenant.id,
        memberId: owner.member_id,
        roles: ['employee'] as const,
        scope: 'full' as const,
      };
      const run = ds.query.bind(ds);
      const explain = async (label: string, call: () => Promise<unknown>, pick: RegExp) => {
        const captured: [string, unknown[]][] = [];
        ds!.query = (async (sql: string, params?: unknown[]) => {
          captured.push([sql, params ?? []]);
          return run(sql, params);
        }) as DataSource['query'];
        try {
          await call();
        } finally {
          ds!.query = run;
        }
        for (const [sql, params] of captured.filter(([sql]) => pick.test(sql))) {
          const plan: { 'QUERY PLAN': string }[] = await ds!.query(
            `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`,
            params,
          );
          say(`\nEXPLAIN ANALYZE ${label}:\n${plan.map((r) => '  ' + r['QUERY PLAN']).join('\n')}`);
        }
      };
      for (const q of [
        'budget',
        '采购合同',
        `PO${Math.floor(total / 2)}`,
        '火星探测',
        'pricing approval',
        '预算审批 合同续签',
      ]) {
        await explain(
          `search "${q}"`,
          () => services.mailApi.search.search(actor, { q, limit: 50 }),
          /^WITH matches|FROM \(SELECT m\.\* FROM messages m/,
        );
      }
      await explain(
        'list, deep page',
        () => services.mailApi.read.list(actor, { limit: 50, cursor: encodeCursor(deepRows[0]!) }),
        /ORDER BY m\.received_at DESC, m\.id DESC LIMIT/,
      );
      await explain('folders', () => services.mailApi.folders.list(actor), /FROM folders f\s+WHERE/);
    }
    process.stdout.write(
      JSON.stringify({
        messages: total,
        listP99Ms: p(firstPage, 0.99),
        searchP95Ms: p(searchEn, 0.95),
        searchCjkP95Ms: p(searchCjk, 0.95),
      }) + '\n',
    );
  } finally {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await ds?.destroy().catch(() => undefined);
    await pg.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench:mailbox failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
