import 'reflect-metadata';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createServices } from '../server/app';
import { loadConfig } from '../server/config';
import { parseMessage } from '../server/modules/mail';
import type { DeliveryTarget } from '../server/modules/mailboxes';
import { RulesDeliveryHook } from '../server/modules/rules';
import type { DeliveryContext, Placement } from '../server/modules/transport';
import { systemClock } from '../server/platform/clock';
import { createDataSource } from '../server/platform/db/data-source';
import { startEmbeddedPostgres } from '../server/platform/db/embedded-postgres';
import { staticResolver } from '../server/platform/dns/resolver';
import { createLogger } from '../server/platform/logger';
import { startSandbox } from '../server/sandbox/sandbox-mode';
import { freePort } from '../test/support/postgres';

const USAGE = `npm run bench:rules-delivery -- [--messages N] [--concurrency C] [--employees E] [--rules R] [--json]

Local delivery (parse → hooks → store → commit) of N messages to one mailbox or a department group,
first with no rules, then with R personal rules per mailbox plus 5 organization rules: how much the
"rules" delivery hook costs per delivery, and deliveries per second either way.`;

function message(i: number): Buffer {
  return Buffer.from(
    [
      `From: =?UTF-8?B?${Buffer.from('李四').toString('base64')}?= <li.si@partner.example>`,
      `To: purchasing@partner.example`,
      `Subject: =?UTF-8?B?${Buffer.from(`【审批】Q3 采购合同 ${i}`).toString('base64')}?=`,
      `Message-ID: <bench-${i}-${Date.now()}@partner.example>`,
      'X-Mailer: Foxmail 7.2',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      '张总您好，附件是第三季度华东区的采购合同草案，请您审阅。Invoice #20240915 will follow.\r\n'.repeat(20),
    ].join('\r\n'),
  );
}

function ruleDefinitions(n: number) {
  const conditions = [
    [{ field: 'from', operator: 'contains', value: 'newsletter' }],
    [{ field: 'subject', operator: 'contains', value: '发票' }],
    [{ field: 'subject', operator: 'matches', value: '^\\[(JIRA|Confluence)\\]' }],
    [{ field: 'body', operator: 'contains', value: 'unsubscribe' }],
    [{ field: 'body', operator: 'matches', value: 'invoice\\s+#\\d{8}' }],
    [{ field: 'header', name: 'x-mailer', operator: 'contains', value: 'outlook' }],
    [
      { field: 'sender_scope', value: 'external' },
      { field: 'to', operator: 'equals', value: 'ceo@x.cn' },
    ],
    [{ field: 'sent_to_my_group', value: true }],
    [{ field: 'importance', value: 'high' }],
  ];
  const actions = [
    [{ type: 'move_to_folder', folderId: 'role:archive' }, { type: 'mark_read' }],
    [{ type: 'add_label', label: '财务' }],
    [{ type: 'mark_important' }],
  ];
  return Array.from({ length: n }, (_, i) => ({
    match: 'all',
    conditions: conditions[i % conditions.length],
    actions: actions[i % actions.length],
  }));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '8' },
      employees: { type: 'string', default: '300' },
      rules: { type: 'string', default: '20' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return void process.stdout.write(USAGE + '\n');
  const total = Number(values.messages);
  const concurrency = Number(values.concurrency);
  const say = (line: string) => (values.json ? undefined : process.stdout.write(line + '\n'));

  const root = path.resolve('.bench-data', `rules-delivery-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const logger = createLogger({ level: 'warn' });
  const pg = await startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), port: await freePort(), logger });
  let ds: DataSource | undefined;
  try {
    const admin = new Client({ connectionString: pg.url('postgres') });
    await admin.connect();
    await admin.query('CREATE DATABASE bench');
    await admin.end();
    ds = createDataSource({ url: pg.url('bench'), poolSize: concurrency + 4 });
    await ds.initialize();
    await ds.runMigrations();
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'warn' });
    const services = createServices({
      config,
      logger,
      ds,
      clock: systemClock,
      masterSecret: 'bench-master-secret-that-is-long-enough-0123456789',
      resolver: staticResolver({}),
    });
    const { tenant } = await services.tenants.ensure({
      slug: 'rulesbench',
      name: 'Rules bench',
      timeZone: 'Asia/Shanghai',
      primaryDomain: 'rulesbench.test',
    });
    const emulator = await startSandbox({
      integrations: services.dingtalk,
      tenantId: tenant.id,
      callbackBaseUrl: 'http://127.0.0.1:9',
      employees: Number(values.employees),
      depth: 3,
      seed: 7,
    });
    emulator.setCallback(undefined);
    await services.sync.fullSync(tenant.id, { trigger: 'manual' });
    const people: { email: string }[] = await ds.query(
      `SELECT email FROM members WHERE tenant_id = $1 AND status = 'active' AND email IS NOT NULL ORDER BY email LIMIT 50`,
      [tenant.id],
    );
    const [group] = await ds.query(
      `SELECT a.local_part || '@rulesbench.test' AS address, count(*) OVER () FROM mail_groups g
         JOIN addresses a ON a.tenant_id = g.tenant_id AND a.group_id = g.id
        WHERE g.tenant_id = $1 AND g.department_external_id <> '1' LIMIT 1`,
      [tenant.id],
    );
    const single: DeliveryTarget[][] = [];
    for (const p of people) {
      const r = await services.recipients.resolve(p.email);
      if (r.kind === 'mailbox') single.push([r.target]);
    }
    const g = await services.recipients.resolve(group.address);
    const groupTargets = g.kind === 'group' ? g.targets : [];

    async function run(label: string, targetsFor: (i: number) => DeliveryTarget[]) {
      let next = 0;
      let retries = 0;
      const started = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < total) {
            const i = next++;
            for (;;) {
              try {
                await services.delivery.deliver({
                  tenantId: tenant.id,
                  raw: message(i),
                  targets: targetsFor(i),
                });
                break;
              } catch (err) {
                // Concurrent group deliveries can deadlock on mailbox usage rows; SMTP would answer 451.
                if ((err as { driverError?: { code?: string } }).driverError?.code !== '40P01') throw err;
                retries++;
              }
            }
          }
        }),
      );
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      say(`  done: ${label} in ${Math.round(ms)} ms`);
      return {
        label,
        deliveries: total,
        ms: Math.round(ms),
        perSecond: Math.round((total / ms) * 1000),
        retries,
      };
    }

    const results = [];
    results.push(await run('1 mailbox, no rules', (i) => single[i % single.length]!));
    results.push(await run(`group (${groupTargets.length} mailboxes), no rules`, () => groupTargets));
    // Rules for every mailbox: R personal each, plus 5 organization rules on the root department.
    const mailboxIds: string[] = (
      await ds.query(`SELECT id FROM mailboxes WHERE tenant_id = $1`, [tenant.id])
    ).map((r: { id: string }) => r.id);
    const defs = ruleDefinitions(Number(values.rules));
    await ds.query(
      `INSERT INTO rules (tenant_id, scope, mailbox_id, name, position, definition)
       SELECT $1, 'personal', b.id, 'r' || d.n, d.n, d.def
         FROM unnest($2::uuid[]) AS b(id) CROSS JOIN unnest($3::jsonb[]) WITH ORDINALITY AS d(def, n)`,
      [tenant.id, mailboxIds, defs.map((d) => JSON.stringify(d))],
    );
    await ds.query(
      `INSERT INTO rules (tenant_id, scope, department_external_ids, name, position, definition)
       SELECT $1, 'organization', ARRAY['1'], 'org' || d.n, d.n, d.def FROM unnest($2::jsonb[]) WITH ORDINALITY AS d(def, n)`,
      [tenant.id, ruleDefinitions(5).map((d) => JSON.stringify(d))],
    );
    results.push(await run(`1 mailbox, ${defs.length}+5 rules`, (i) => single[i % single.length]!));
    results.push(
      await run(`group (${groupTargets.length} mailboxes), ${defs.length}+5 rules each`, () => groupTargets),
    );
    // The hook alone (inside a transaction that is rolled back), wall-clock and CPU per delivery.
    const hook = new RulesDeliveryHook({
      ds,
      clock: systemClock,
      logger,
      outgoing: () => undefined,
      notifier: { notify: async () => ({ sent: 0, skipped: 0 }) },
      stats: services.ruleStats,
    });
    const hookOnly = async (label: string, targets: DeliveryTarget[], n: number) => {
      const raw = message(1);
      const parsed = await parseMessage(raw);
      let wall = 0;
      let cpu = 0;
      for (let i = 0; i < n; i++) {
        await ds!
          .transaction(async (em) => {
            const ctx: DeliveryContext = {
              tenantId: tenant.id,
              parsed,
              source: 'smtp',
              envelopeFrom: null,
              verdict: null,
              targets,
              raw,
              afterCommit: [],
            };
            const placements = new Map<string, Placement>(
              targets.map((t) => [
                t.mailboxId,
                { folderRole: 'inbox', seen: false, flagged: false, labels: [], discard: false, trace: [] },
              ]),
            );
            const c0 = process.cpuUsage();
            const t0 = process.hrtime.bigint();
            await hook.place(em, ctx, placements);
            wall += Number(process.hrtime.bigint() - t0) / 1e6;
            const c = process.cpuUsage(c0);
            cpu += (c.user + c.system) / 1000;
            throw new Error('rollback');
          })
          .catch((err: Error) => {
            if (err.message !== 'rollback') throw err;
          });
      }
      const rulesEach = defs.length + 5;
      return {
        label,
        mailboxes: targets.length,
        evaluationsPerCall: targets.length * rulesEach,
        wallMsPerCall: +(wall / n).toFixed(2),
        cpuMsPerCall: +(cpu / n).toFixed(2),
        ruleEvaluationsPerCpuSecond: Math.round((targets.length * rulesEach * n) / (cpu / 1000)),
      };
    };
    const hookResults = [
      await hookOnly('hook, 1 mailbox', single[0]!, 300),
      await hookOnly(`hook, group of ${groupTargets.length}`, groupTargets, 100),
    ];
    say('');
    say(
      'hook alone                 mailboxes  rule evals/call  wall ms/call  cpu ms/call  rule evals per cpu-second',
    );
    for (const h of hookResults)
      say(
        `${h.label.padEnd(26)} ${String(h.mailboxes).padEnd(10)} ${String(h.evaluationsPerCall).padEnd(16)} ${String(h.wallMsPerCall).padEnd(13)} ${String(h.cpuMsPerCall).padEnd(12)} ${h.ruleEvaluationsPerCpuSecond}`,
      );
    const [{ evaluations }] = await ds.query(
      `SELECT coalesce(sum(match_count), 0)::bigint AS evaluations FROM rules WHERE tenant_id = $1`,
      [tenant.id],
    );

    say('case                                       deliveries   ms      deliveries/s  deadlock retries');
    for (const r of results)
      say(
        `${r.label.padEnd(42)} ${String(r.deliveries).padEnd(12)} ${String(r.ms).padEnd(7)} ${String(r.perSecond).padEnd(13)} ${r.retries}`,
      );
    say(`rule matches recorded: ${evaluations}`);
    process.stdout.write(JSON.stringify({ results, hook: hookResults }) + '\n');
    await emulator.close();
  } finally {
    await ds?.destroy();
    await pg.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
