import 'reflect-metadata';
import os from 'node:os';
import { parseArgs } from 'node:util';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import { SENDER_DOMAIN, startBenchServer } from './support/orgmail-server';

const USAGE = `npm run soak -- [--minutes M] [--rate R] [--concurrency C] [--employees E]

A steady stream of mail (R messages a second, Chinese and English, some with attachments) into the
real server (dist/server/main.js on its embedded PostgreSQL) for M minutes. Every minute it prints
what was sent and stored, latency send → 250, and the server's memory and CPU. It passes when
nothing failed, everything answered 250 was stored, the rate was held, and memory levelled off
(the last minute's RSS is within 1.5× the second minute's).`;

interface Minute {
  sent: number;
  failed: number;
  latencies: number[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '10' },
      rate: { type: 'string', default: '50' },
      concurrency: { type: 'string', default: '10' },
      employees: { type: 'string', default: '200' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const minutes = Number(values.minutes);
  const rate = Number(values.rate);
  const concurrency = Number(values.concurrency);
  if (!(minutes > 0 && rate > 0 && concurrency > 0)) throw new Error(USAGE);

  process.stdout.write(`Starting OrgMail (dist/server/main.js, ${values.employees} sandbox employees)…\n`);
  const server = await startBenchServer({ name: 'soak', employees: Number(values.employees) });
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: server.smtpPort,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: concurrency,
    maxMessages: Infinity,
  });
  const bodies = await Promise.all(Array.from({ length: 24 }, (_, i) => render(i)));
  const rows: string[] = [];
  const problems: string[] = [];
  try {
    const [{ n: stored0 }] = await server.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages`);
    say(
      '| minute | sent | failed | msg/s | latency p50 / p99 / max (ms) | server RSS | server CPU | PostgreSQL CPU |',
    );
    say('|---|---|---|---|---|---|---|---|');
    const rss: number[] = [];
    let totalSent = 0;
    let inFlight = 0;
    let seq = 0;
    const start = performance.now();
    for (let m = 0; m < minutes; m++) {
      const minute: Minute = { sent: 0, failed: 0, latencies: [] };
      const cpu0 = server.cpuMs();
      const pg0 = server.pgCpuMs();
      const t0 = performance.now();
      const end = start + (m + 1) * 60_000;
      const pending = new Set<Promise<void>>();
      // Open loop: a message is due every 1/rate s whatever the server's latency (up to C in flight).
      for (;;) {
        const due = start + (seq / rate) * 1000;
        if (due >= end) break;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (inFlight >= concurrency * 4) {
          // The server is not keeping up: count it as failed rather than piling up without end.
          minute.failed++;
          seq++;
          continue;
        }
        const i = seq++;
        inFlight++;
        const to = server.addresses[(i * 7919) % server.addresses.length]!;
        const sentAt = performance.now();
        const p = transport
          .sendMail({
            envelope: { from: `soak@${SENDER_DOMAIN}`, to: [to] },
            raw: Buffer.concat([
              Buffer.from(`Message-ID: <soak-${i}-${process.pid}@${SENDER_DOMAIN}>\r\n`),
              bodies[i % bodies.length]!,
            ]),
          })
          .then(
            () => {
              minute.sent++;
              minute.latencies.push(performance.now() - sentAt);
            },
            (err: Error) => {
              minute.failed++;
              if (problems.length < 5) problems.push(`send failed: ${err.message}`);
            },
          )
          .finally(() => {
            inFlight--;
            pending.delete(p);
          });
        pending.add(p);
      }
      await Promise.all(pending);
      const seconds = (performance.now() - t0) / 1000;
      const lat = minute.latencies.sort((a, b) => a - b);
      const pct = (q: number) => Math.round(lat[Math.min(lat.length - 1, Math.floor(q * lat.length))] ?? 0);
      rss.push(server.rssMiB());
      totalSent += minute.sent;
      const row =
        `| ${m + 1} | ${minute.sent} | ${minute.failed} | ${(minute.sent / seconds).toFixed(1)} | ` +
        `${pct(0.5)} / ${pct(0.99)} / ${pct(1)} | ${rss[m]!.toFixed(0)} MiB | ` +
        `${(((server.cpuMs() - cpu0) / 1000 / seconds) * 100).toFixed(0)} % | ` +
        `${(((server.pgCpuMs() - pg0) / 1000 / seconds) * 100).toFixed(0)} % |`;
      rows.push(row);
      say(row);
      if (minute.failed > 0) problems.push(`minute ${m + 1}: ${minute.failed} messages failed`);
      if (minute.sent < rate * seconds * 0.95)
        problems.push(`minute ${m + 1}: the rate was not held (${(minute.sent / seconds).toFixed(1)} msg/s)`);
    }
    const [{ n: stored1 }] = await server.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages`);
    if (stored1 - stored0 !== totalSent)
      problems.push(`${totalSent} messages were answered 250 but ${stored1 - stored0} were stored`);
    if (rss.length >= 3 && rss[rss.length - 1]! > rss[1]! * 1.5)
      problems.push(
        `memory kept growing: ${rss[1]!.toFixed(0)} MiB after minute 2, ${rss[rss.length - 1]!.toFixed(0)} MiB at the end`,
      );
    say('');
    say(
      `${totalSent} messages in ${minutes} min at ${rate}/s target; stored ${stored1 - stored0}; ` +
        `machine: ${os.cpus().length} cores, load ${os
          .loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')}`,
    );
    say(problems.length === 0 ? 'PASS' : `FAIL:\n  ${problems.join('\n  ')}`);
    if (problems.length > 0) process.exitCode = 1;
  } finally {
    transport.close();
    await server.stop();
  }
}

function say(line: string): void {
  process.stdout.write(line + '\n');
}

const PARAGRAPHS = [
  '各位同事好：本周五下午三点在五楼大会议室召开季度总结会，请提前准备各部门的数据。',
  'Please review the attached purchase order and confirm the delivery date by Friday.',
  '财务部提醒：报销单据请于每月二十五日前提交，逾期将顺延至下月处理。',
  'The customer visit to our Hangzhou plant is confirmed for next Tuesday morning.',
];

function render(i: number): Promise<Buffer> {
  let text = '';
  for (let p = 0; text.length < 1500 + (i % 4) * 800; p++)
    text += PARAGRAPHS[(i + p) % PARAGRAPHS.length] + '\n\n';
  return new MailComposer({
    from: { name: i % 2 ? '合作伙伴' : 'Partner Co.', address: `soak@${SENDER_DOMAIN}` },
    to: 'colleagues@bench.test',
    subject: i % 2 ? `季度总结 #${i}` : `Purchase order #${i}`,
    text,
    html: `<p>${text.replace(/\n\n/g, '</p><p>')}</p>`,
    date: new Date(),
    attachments:
      i % 6 === 0
        ? [{ filename: '订单明细.csv', content: Buffer.from('品名,数量\n螺丝,1000\n'.repeat(200)) }]
        : [],
  })
    .compile()
    .build()
    .then((raw) => Buffer.from(raw.toString('latin1').replace(/^Message-ID:.*\r\n/im, ''), 'latin1'));
}

main().catch((err) => {
  process.stderr.write(`soak failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
