import type { DataSource } from 'typeorm';
import type { Logger } from '../../platform/logger';
import { recordOutcomes } from './rule-store';

/**
 * Match counters, gathered in memory and written at most once a second per process: every
 * delivery matching an organization rule would otherwise update the same hot row. A crash loses
 * at most that second of statistics, never mail. Ids are written in sorted order so concurrent
 * flushes of several replicas cannot deadlock.
 */
export class RuleStats {
  private pending = new Map<string, Map<string, { n: number; at: Date }>>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly d: { ds: DataSource; logger: Logger; flushMs?: number }) {}

  add(tenantId: string, matched: Map<string, number>, at: Date): void {
    if (matched.size === 0) return;
    let forTenant = this.pending.get(tenantId);
    if (!forTenant) this.pending.set(tenantId, (forTenant = new Map()));
    for (const [id, n] of matched) {
      const p = forTenant.get(id);
      if (p) {
        p.n += n;
        if (at > p.at) p.at = at;
      } else forTenant.set(id, { n, at });
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.d.flushMs ?? 1000);
    this.timer.unref?.();
  }

  /** Writes what is pending now (tests, shutdown). */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = this.flushing.then(async () => {
      for (const [tenantId, rules] of batch) {
        const ids = [...rules.keys()].sort();
        const latest = ids.reduce(
          (max, id) => (rules.get(id)!.at > max ? rules.get(id)!.at : max),
          new Date(0),
        );
        await recordOutcomes(
          this.d.ds,
          tenantId,
          new Map(ids.map((id) => [id, rules.get(id)!.n])),
          new Map(),
          latest,
        ).catch((err: unknown) => this.d.logger.warn({ err, tenantId }, 'rule statistics not written'));
      }
    });
    return this.flushing;
  }
}
