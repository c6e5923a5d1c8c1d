import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../test/support/postgres';
import { waitFor } from '../test/support/process';
import { SENDER_DOMAIN, startBenchServer, type BenchServer } from './support/orgmail-server';
import { ensurePostfix, runSmtpSource, startPostfix, type RunningPostfix } from './support/postfix';

export interface VsPostfixOptions {
  messages: number;
  concurrency: number;
  size: number;
  rounds: number;
  employees: number;
  reuse: boolean;
  json: boolean;
  /** OrgMail's SMTP_PROCESSES. */
  smtpProcesses: number;
}

interface Round {
  server: 'postfix' | 'orgmail';
  seconds: number;
  rate: number;
  cpuMsPerMessage: number;
  /** OrgMail: of which PostgreSQL. */
  pgMsPerMessage: number;
  /** Postfix: seconds until the last message was in its Maildir (its 250 means "queued"). */
  deliveredSeconds: number;
}

/**
 * `npm run bench:ingest -- --vs-postfix`: Debian's Postfix and OrgMail side by side on this
 * machine, driven by Postfix's own `smtp-source` with the same message size, concurrency and
 * count, taking turns (P, O, P, O …) so both see the same machine. Postfix delivers to Maildirs
 * with its defaults; OrgMail runs its real server (`dist/server/main.js`) with SPF/DMARC checks,
 * spam scoring, rules and storage before its 250. Prints both rates and their ratio; exits 1 when
 * OrgMail is below 1.0× Postfix.
 */
export async function runVsPostfix(o: VsPostfixOptions): Promise<void> {
  const say = (line: string) => {
    if (!o.json) process.stdout.write(line + '\n');
  };
  ensurePostfix(say);
  let postfix: RunningPostfix | undefined;
  let orgmail: BenchServer | undefined;
  try {
    postfix = await startPostfix(
      path.resolve('.bench-data', `postfix-${process.pid}`),
      await freePort(),
      'pf.bench.test',
    );
    say(
      `Starting OrgMail (dist/server/main.js, ${o.employees} sandbox employees, SMTP_PROCESSES=${o.smtpProcesses})…`,
    );
    orgmail = await startBenchServer({
      name: 'vs-postfix',
      employees: o.employees,
      // e.g. BENCH_SERVER_NODE_OPTIONS=--cpu-prof to profile the server under this load
      env: process.env.BENCH_SERVER_NODE_OPTIONS
        ? { NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS }
        : {},
    });
    const from = `bench@${SENDER_DOMAIN}`;
    const targets = {
      postfix: { port: postfix.port, to: `inbox@${postfix.domain}` },
      orgmail: { port: orgmail.smtpPort, to: orgmail.addresses[0]! },
    };
    const run = (server: 'postfix' | 'orgmail', messages: number) =>
      runSmtpSource({
        port: targets[server].port,
        to: targets[server].to,
        from,
        messages,
        sessions: o.concurrency,
        size: o.size,
        reuse: o.reuse,
      });
    // Warm-up for both (JIT, caches, connection pools), not counted.
    for (const server of ['postfix', 'orgmail'] as const) {
      const w = await run(server, Math.min(500, o.messages));
      if (!w.ok) throw new Error(`smtp-source against ${server} failed:\n${w.output}`);
    }
    await waitFor(() => postfix!.delivered() >= Math.min(500, o.messages), 120_000, 'postfix warm-up');

    const rounds: Round[] = [];
    say(
      `Each round: ${o.messages} messages of ${o.size} bytes over ${o.concurrency} sessions` +
        `${o.reuse ? ' (connections reused)' : ' (a new connection per message)'}.`,
    );
    for (let r = 0; r < o.rounds; r++) {
      for (const server of r % 2 === 0
        ? (['postfix', 'orgmail'] as const)
        : (['orgmail', 'postfix'] as const)) {
        const deliveredBefore = postfix.delivered();
        const storedBefore = await storedCount(orgmail);
        const cpu0 = server === 'postfix' ? postfix.cpuMs() : orgmail.cpuMs() + orgmail.pgCpuMs();
        const pg0 = orgmail.pgCpuMs();
        const t0 = performance.now();
        const result = await run(server, o.messages);
        if (!result.ok) throw new Error(`smtp-source against ${server} failed:\n${result.output}`);
        let deliveredSeconds = result.seconds;
        if (server === 'postfix') {
          await waitFor(
            () => postfix!.delivered() - deliveredBefore >= o.messages,
            300_000,
            'postfix delivery',
          );
          deliveredSeconds = (performance.now() - t0) / 1000;
        } else {
          const stored = (await storedCount(orgmail)) - storedBefore;
          if (stored !== o.messages)
            throw new Error(`OrgMail answered 250 ${o.messages} times but stored ${stored}`);
        }
        const cpu = (server === 'postfix' ? postfix.cpuMs() : orgmail.cpuMs() + orgmail.pgCpuMs()) - cpu0;
        rounds.push({
          server,
          seconds: result.seconds,
          rate: o.messages / result.seconds,
          cpuMsPerMessage: cpu / o.messages,
          pgMsPerMessage: server === 'orgmail' ? (orgmail.pgCpuMs() - pg0) / o.messages : 0,
          deliveredSeconds,
        });
        say(
          `  round ${r + 1} ${server.padEnd(7)} ${(o.messages / result.seconds).toFixed(1).padStart(8)} msg/s` +
            (server === 'postfix'
              ? `  (all in Maildirs after ${deliveredSeconds.toFixed(2)} s)`
              : '  (stored before 250)'),
        );
      }
    }
    const median = (server: Round['server'], pick: (r: Round) => number) => {
      const xs = rounds
        .filter((r) => r.server === server)
        .map(pick)
        .sort((a, b) => a - b);
      return xs[Math.floor(xs.length / 2)]!;
    };
    const pf = median('postfix', (r) => r.rate);
    const om = median('orgmail', (r) => r.rate);
    const ratio = om / pf;
    say('');
    say('| server | accepted (250) msg/s, median | delivered msg/s | CPU per message (all processes) |');
    say('|---|---|---|---|');
    say(
      `| Postfix ${postfixVersion()} | ${pf.toFixed(1)} | ${(o.messages / median('postfix', (r) => r.deliveredSeconds)).toFixed(1)} (Maildir) | ${median('postfix', (r) => r.cpuMsPerMessage).toFixed(2)} ms |`,
    );
    say(
      `| OrgMail | ${om.toFixed(1)} | ${om.toFixed(1)} (stored before the 250) | ${median('orgmail', (r) => r.cpuMsPerMessage).toFixed(2)} ms (of which PostgreSQL ${median('orgmail', (r) => r.pgMsPerMessage).toFixed(2)} ms) |`,
    );
    say('');
    say(`OrgMail / Postfix = ${ratio.toFixed(2)}× (goal ≥ 1.0×: ${ratio >= 1 ? 'met' : 'NOT met'})`);
    say(
      `machine: ${os.cpus().length} cores, load ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(
          ' ',
        )}; rounds: ${o.rounds}; OrgMail SMTP_PROCESSES=${o.smtpProcesses}; smtp-source -s ${o.concurrency} -l ${o.size}${o.reuse ? ' -d' : ''}`,
    );
    process.stdout.write(
      JSON.stringify({
        postfixPerSecond: round(pf),
        orgmailPerSecond: round(om),
        ratio: round(ratio),
        messages: o.messages,
        size: o.size,
        concurrency: o.concurrency,
      }) + '\n',
    );
    if (ratio < 1) process.exitCode = 1;
  } finally {
    postfix?.stop();
    await orgmail?.stop().catch(() => undefined);
  }
}

async function storedCount(server: BenchServer): Promise<number> {
  const [row] = await server.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages`);
  return row!.n;
}

function postfixVersion(): string {
  return spawnSync('/usr/sbin/postconf', ['-h', 'mail_version']).stdout?.toString().trim() ?? '';
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
