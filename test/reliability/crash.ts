import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { setupCrashEnv, type CrashEnv } from './crash-env';
import { LoadGenerator, mulberry32 } from './crash-load';
import { report, verify } from './crash-verify';

/**
 * `npm run test:crash [-- --kills N --seconds S --seed X]`: mail flows in continuously (MX, SMTP
 * submission to remote recipients, API sends with the undo window and scheduled ones) while the
 * server is SIGKILLed at seeded random moments and restarted. Afterwards every message a client was
 * told was accepted must be stored (locally) or delivered to the loopback sink (remotely) exactly
 * once; messages whose answer was cut off may be there once or not at all. Exit code 0 only if so.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      kills: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '80' },
      seed: { type: 'string' },
      employees: { type: 'string', default: '12' },
    },
  });
  const kills = Number(values.kills);
  const seconds = Number(values.seconds);
  const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 1_000_000);
  if (![kills, seconds, seed].every(Number.isFinite) || kills < 0 || seconds < 5)
    throw new Error('usage: crash.js [--kills N] [--seconds S (>= 5)] [--seed X]');
  const rand = mulberry32(seed);
  const log = (s: string) => process.stdout.write(`[crash ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

  log(`seed ${seed}: setting up PostgreSQL, the DingTalk emulator, the sink and the server`);
  const env = await setupCrashEnv({ employees: Number(values.employees), rand: mulberry32(seed + 1) });
  try {
    await env.server.start();
    log(`server up (${env.members.length} mailboxes); ${seconds} s of load with ${kills} kills`);

    // Kill moments: seeded, spread over the load (not in its first or last tenth).
    const killAt = Array.from({ length: kills }, () => (0.1 + 0.8 * rand()) * seconds * 1000).sort(
      (a, b) => a - b,
    );
    // Scheduled sends due from 62 s on (the server takes times at least a minute ahead), while mail flows.
    const start = Date.now();
    const scheduledAt =
      seconds > 66
        ? Array.from({ length: 12 }, (_, i) => new Date(start + 62_000 + ((seconds - 64) * 1000 * i) / 12))
        : [];
    const load = new LoadGenerator(env, rand, seed.toString(36));
    let stop = false;
    const loadDone = load.run(() => stop, { scheduledAt });
    const killLog: { at: number; downMs: number }[] = [];
    let upSince = Date.now();
    for (const at of killAt) {
      // Restarts are slow on a busy machine: the server always runs at least 3 s between kills.
      const wait = Math.max(start + at - Date.now(), upSince + 3000 - Date.now());
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const t0 = Date.now();
      await env.server.kill();
      await env.server.start();
      upSince = Date.now();
      killLog.push({ at: t0 - start, downMs: Date.now() - t0 });
      log(
        `SIGKILL at ${((t0 - start) / 1000).toFixed(1)} s; back after ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    }
    const rest = start + seconds * 1000 - Date.now();
    if (rest > 0) await new Promise((r) => setTimeout(r, rest));
    stop = true;
    await loadDone;
    log(
      `load stopped: ${load.records.length} messages attempted; waiting for the queue and the scheduler to drain`,
    );
    const lastDue = Math.max(...load.records.map((r) => r.dueAt?.getTime() ?? 0), Date.now());
    const drainMs = await drain(env, lastDue);
    const verdict = await verify(env, load.records);
    // Outbound rows attempted more than once: the sink always says 250, so each is a send a kill cut off.
    const [{ reclaimed }] = await env.ds.query(
      `SELECT count(*)::int AS reclaimed FROM outbound_queue WHERE tenant_id = $1 AND attempts > 1`,
      [env.tenantId],
    );
    process.stdout.write(report(verdict, { seed, seconds, kills: killLog, drainMs, reclaimed }) + '\n');
    if (verdict.violations.length > 0) process.stdout.write(`Server log: ${env.server.logFile}\n`);
    return verdict.violations.length === 0 ? 0 : 1;
  } finally {
    await env.close();
  }
}

/** Waits until nothing is queued outbound and no scheduled send is due (at most 120 s). */
async function drain(env: CrashEnv, lastDue: number): Promise<number> {
  const t0 = Date.now();
  const deadline = t0 + 120_000;
  for (;;) {
    const [q] = await env.ds.query(
      `SELECT (SELECT count(*)::int FROM outbound_queue WHERE tenant_id = $1 AND status = 'queued') AS outbound,
              (SELECT count(*)::int FROM scheduled_sends WHERE tenant_id = $1 AND status = 'queued') AS scheduled`,
      [env.tenantId],
    );
    if (q.outbound === 0 && q.scheduled === 0 && Date.now() > lastDue) {
      // Deliveries just finished may still be on the wire: one more second for the sink.
      await new Promise((r) => setTimeout(r, 1000));
      return Date.now() - t0;
    }
    if (Date.now() > deadline) {
      process.stdout.write(
        `Not drained after 120 s: ${q.outbound} outbound rows and ${q.scheduled} scheduled sends still queued\n`,
      );
      return Date.now() - t0;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`crash test failed to run: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(2);
  },
);
