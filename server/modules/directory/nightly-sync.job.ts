import cron, { type ScheduledTask } from 'node-cron';
import type { DataSource } from 'typeorm';
import type { Logger } from '../../platform/logger';
import { ConflictError } from '../../platform/errors';
import type { DirectorySyncService } from './directory-sync.service';

/**
 * The nightly full sync of every connected organization, at its own cron expression and time
 * zone. Schedules are re-read every few minutes, so a policy change takes effect without a
 * restart. Replicas may all schedule it: the sync's advisory lock lets one run at a time.
 */
export class NightlySyncJob {
  private readonly tasks = new Map<string, { expression: string; timeZone: string; task: ScheduledTask }>();
  private refresher: NodeJS.Timeout | undefined;

  constructor(
    private readonly ds: DataSource,
    private readonly sync: DirectorySyncService,
    private readonly logger: Logger,
  ) {}

  async start(refreshMs = 5 * 60_000): Promise<void> {
    await this.refresh();
    this.refresher = setInterval(
      () => void this.refresh().catch((err) => this.logger.error({ err }, 'refresh failed')),
      refreshMs,
    );
    this.refresher.unref();
  }

  async stop(): Promise<void> {
    if (this.refresher) clearInterval(this.refresher);
    for (const { task } of this.tasks.values()) await task.destroy();
    this.tasks.clear();
  }

  async refresh(): Promise<void> {
    const rows: { tenant_id: string; time_zone: string }[] = await this.ds.query(
      `SELECT i.tenant_id, t.time_zone FROM integrations i JOIN tenants t ON t.id = i.tenant_id WHERE t.status = 'active'`,
    );
    const seen = new Set<string>();
    for (const row of rows) {
      seen.add(row.tenant_id);
      const policy = await this.sync.policy(row.tenant_id);
      const current = this.tasks.get(row.tenant_id);
      if (current && current.expression === policy.nightlyCron && current.timeZone === row.time_zone)
        continue;
      await current?.task.destroy();
      if (!cron.validate(policy.nightlyCron)) {
        this.logger.warn(
          { tenantId: row.tenant_id, cron: policy.nightlyCron },
          'invalid sync schedule; nightly sync off',
        );
        this.tasks.delete(row.tenant_id);
        continue;
      }
      const task = cron.schedule(policy.nightlyCron, () => this.run(row.tenant_id), {
        timezone: row.time_zone,
        name: `directory-sync:${row.tenant_id}`,
        noOverlap: true,
      });
      this.tasks.set(row.tenant_id, { expression: policy.nightlyCron, timeZone: row.time_zone, task });
    }
    for (const [tenantId, { task }] of this.tasks) {
      if (!seen.has(tenantId)) {
        await task.destroy();
        this.tasks.delete(tenantId);
      }
    }
  }

  private async run(tenantId: string): Promise<void> {
    try {
      const outcome = await this.sync.fullSync(tenantId, { trigger: 'cron' });
      this.logger.info(
        { tenantId, status: outcome.status, counts: outcome.counts },
        'nightly directory sync',
      );
    } catch (err) {
      if (err instanceof ConflictError)
        this.logger.info({ tenantId }, 'nightly sync skipped: another replica runs it');
      else this.logger.error({ err, tenantId }, 'nightly directory sync failed');
    }
  }
}
