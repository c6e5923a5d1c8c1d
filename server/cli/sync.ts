import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { createServices } from '../app';
import { ConfigError, loadConfig } from '../config';
import { systemClock } from '../platform/clock';
import { openDatabase } from '../platform/db/database';
import { StartupError } from '../platform/errors';
import { createLogger } from '../platform/logger';
import { loadMasterSecret } from '../platform/secrets';

const USAGE = `Usage: npm run sync -- [--dry-run] [--tenant SLUG]

Runs a full directory sync of one organization now and shows its progress.
  --dry-run      plan only: print what would change, change nothing
  --tenant SLUG  the organization (default: BOOTSTRAP_TENANT_SLUG, "demo")`;

/** `npm run sync`: a full directory sync from the command line, with a progress bar. */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'dry-run': { type: 'boolean', default: false },
      tenant: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const config = loadConfig();
  const logger = createLogger({ level: 'warn' });
  const db = await openDatabase(config, logger, { attach: true });
  try {
    const deps = {
      config,
      logger,
      ds: db.ds,
      clock: systemClock,
      masterSecret: await loadMasterSecret(config.jwt.secret, config.dataDir),
    };
    const services = createServices(deps);
    const slug = values.tenant ?? config.bootstrap.tenantSlug;
    const tenant = await services.tenants.findBySlug(slug);
    if (!tenant) throw new StartupError(`No organization "${slug}"`);
    const { runId, done } = await services.sync.startFullSync(tenant.id, {
      trigger: 'manual',
      dryRun: values['dry-run'],
    });
    const bar = setInterval(() => void drawProgress(services, tenant.id, runId), 200);
    let outcome;
    try {
      outcome = await done;
    } finally {
      clearInterval(bar);
      await drawProgress(services, tenant.id, runId);
      process.stderr.write('\n');
    }
    const c = outcome.counts;
    const rows: [string, number][] = [
      ['departments created', c.departmentsCreated],
      ['departments updated', c.departmentsUpdated],
      ['departments removed', c.departmentsRemoved],
      ['members created', c.membersCreated],
      ['members updated', c.membersUpdated],
      ['members moved', c.membersMoved],
      ['members suspended', c.membersSuspended],
      ['members reactivated', c.membersReactivated],
      ['DingTalk API calls', outcome.apiCalls],
    ];
    process.stdout.write(`Sync ${runId}: ${outcome.status}\n`);
    for (const [label, n] of rows) process.stdout.write(`  ${label.padEnd(22)} ${String(n).padStart(8)}\n`);
    if (outcome.status === 'held') {
      process.stdout.write(
        `\nHeld: it would suspend ${c.membersSuspended} people (limit ${outcome.suspensionLimit}). ` +
          `Review it in the console and confirm, or POST /api/v1/admin/directory/sync/runs/${runId}/confirm.\n`,
      );
    }
    return outcome.status === 'held' ? 3 : 0;
  } finally {
    await db.close();
  }
}

async function drawProgress(
  services: ReturnType<typeof createServices>,
  tenantId: string,
  runId: string,
): Promise<void> {
  const run = await services.jobRuns.get(tenantId, runId).catch(() => undefined);
  if (!run || !process.stderr.isTTY) return;
  const total = run.progress_total ?? 0;
  const ratio = total > 0 ? Math.min(1, run.progress_done / total) : 0;
  const width = 30;
  const filled = Math.round(ratio * width);
  const phase = String((run.summary as { phase?: string }).phase ?? run.status);
  process.stderr.write(
    `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}%  ${run.progress_done}/${total || '?'}  ${phase.padEnd(20)}`,
  );
}

main()
  .then((code) => process.exit(code))
  .catch((err) => {
    if (err instanceof ConfigError || err instanceof StartupError)
      process.stderr.write(`orgmail sync: ${err.message}\n`);
    else process.stderr.write(`orgmail sync: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  });
