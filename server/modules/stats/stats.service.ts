import type { DataSource } from 'typeorm';
import type { BreakdownDto, BreakdownQuery } from '../../../shared/dashboard/breakdown';
import type { StatMetric, StatsDto } from '../../../shared/stats';
import type { Clock } from '../../platform/clock';
import type { Actor } from '../../platform/http/actor';
import { StatsBreakdownService } from './stats-breakdown.service';

const DAY_MS = 86_400_000;

interface CountRow {
  tenant_id: string;
  day: string;
  role: string | null;
  messages: string;
  bytes: string;
  from_local: string;
  to_external: string;
}

/** A domain hosted here (any organization): mail from it is internal, mail to anything else external. */
const HOSTED = (address: string) =>
  `EXISTS (SELECT 1 FROM domains d WHERE d.name = lower(split_part(${address}, '@', 2)))`;

/**
 * Daily statistics: the roll-up recomputes whole days from the facts (so running it twice, or on
 * two replicas, gives the same numbers), and the console reads finished series from stats_daily.
 * Message counts are by the folder a copy sits in at roll-up time; snapshots (storage, mailboxes)
 * are taken for "today" in each organization's time zone.
 */
export class StatsService {
  private readonly live: StatsBreakdownService;

  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
  ) {
    this.live = new StatsBreakdownService(ds);
  }

  /** Top senders, storage by department and the queue by state, read live. */
  breakdown(actor: Actor, q: BreakdownQuery): Promise<BreakdownDto> {
    return this.live.breakdown(actor, q);
  }

  /** Recomputes the last `days` days (default: yesterday and today) for one organization, or all. */
  async rollUp(days = 2, tenantId: string | null = null): Promise<{ tenants: number; rows: number }> {
    const now = this.clock.now();
    const tenants: { id: string; time_zone: string }[] = await this.ds.query(
      `SELECT id, time_zone FROM tenants WHERE status = 'active' AND ($1::uuid IS NULL OR id = $1)`,
      [tenantId],
    );
    if (tenants.length === 0) return { tenants: 0, rows: 0 };
    // A UTC window wide enough to hold those local days in every time zone (UTC-12 … UTC+14).
    const since = new Date(now.getTime() - days * DAY_MS - DAY_MS);
    const counts: CountRow[] = await this.ds.query(
      `SELECT m.tenant_id, to_char((m.created_at AT TIME ZONE t.time_zone)::date, 'YYYY-MM-DD') AS day, f.role,
              count(*) AS messages, coalesce(sum(m.size), 0) AS bytes,
              count(*) FILTER (WHERE ${HOSTED('m.from_address')}) AS from_local,
              count(*) FILTER (WHERE f.role = 'sent' AND EXISTS (
                SELECT 1 FROM jsonb_array_elements(m.to_addresses || m.cc_addresses) a
                 WHERE NOT ${HOSTED("(a->>'address')")})) AS to_external
         FROM messages m
         JOIN tenants t ON t.id = m.tenant_id
         JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id
        WHERE m.created_at >= $1 AND m.created_at <= $2 AND ($3::uuid IS NULL OR m.tenant_id = $3)
        GROUP BY 1, 2, 3`,
      [since, now, tenantId],
    );
    const snapshots: { tenant_id: string; active: string; suspended: string; used: string }[] =
      await this.ds.query(
        `SELECT tenant_id, count(*) FILTER (WHERE status = 'active') AS active,
              count(*) FILTER (WHERE status = 'suspended') AS suspended,
              coalesce(sum(used_bytes) FILTER (WHERE status <> 'purged'), 0) AS used
         FROM mailboxes WHERE ($1::uuid IS NULL OR tenant_id = $1) GROUP BY tenant_id`,
        [tenantId],
      );
    const snap = new Map(snapshots.map((s) => [s.tenant_id, s]));

    const rows: { tenant: string; day: string; metric: StatMetric; value: number }[] = [];
    for (const t of tenants) {
      const localDays = lastLocalDays(now, t.time_zone, days);
      for (const day of localDays) {
        const of = counts.filter((c) => c.tenant_id === t.id && c.day === day);
        const sum = (
          pick: (c: CountRow) => boolean,
          field: 'messages' | 'bytes' | 'from_local' | 'to_external',
        ) => of.filter(pick).reduce((n, c) => n + Number(c[field]), 0);
        const received = (c: CountRow) => !['sent', 'drafts', 'scheduled', 'junk'].includes(c.role ?? '');
        rows.push(
          { tenant: t.id, day, metric: 'mail.received', value: sum(received, 'messages') },
          { tenant: t.id, day, metric: 'mail.received_bytes', value: sum(received, 'bytes') },
          { tenant: t.id, day, metric: 'mail.junk', value: sum((c) => c.role === 'junk', 'messages') },
          { tenant: t.id, day, metric: 'mail.sent', value: sum((c) => c.role === 'sent', 'messages') },
          { tenant: t.id, day, metric: 'mail.internal', value: sum(received, 'from_local') },
          {
            tenant: t.id,
            day,
            metric: 'mail.external_in',
            value: sum(received, 'messages') - sum(received, 'from_local'),
          },
          { tenant: t.id, day, metric: 'mail.external_out', value: sum(() => true, 'to_external') },
        );
      }
      const today = localDays[localDays.length - 1]!;
      const s = snap.get(t.id);
      rows.push(
        { tenant: t.id, day: today, metric: 'storage.used_bytes', value: Number(s?.used ?? 0) },
        { tenant: t.id, day: today, metric: 'mailboxes.active', value: Number(s?.active ?? 0) },
        { tenant: t.id, day: today, metric: 'mailboxes.suspended', value: Number(s?.suspended ?? 0) },
      );
    }
    await this.ds.query(
      `INSERT INTO stats_daily (tenant_id, day, metric, value, updated_at)
       SELECT r.tenant_id, r.day, r.metric, r.value, now()
         FROM unnest($1::uuid[], $2::date[], $3::text[], $4::bigint[]) AS r(tenant_id, day, metric, value)
       ON CONFLICT (tenant_id, metric, day) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      [
        rows.map((r) => r.tenant),
        rows.map((r) => r.day),
        rows.map((r) => r.metric),
        rows.map((r) => r.value),
      ],
    );
    return { tenants: tenants.length, rows: rows.length };
  }

  async series(actor: Actor, q: { from: string; to: string; metrics: StatMetric[] }): Promise<StatsDto> {
    const [tenant] = await this.ds.query(`SELECT time_zone FROM tenants WHERE id = $1`, [actor.tenantId]);
    const stored: { metric: StatMetric; day: string; value: string }[] = await this.ds.query(
      `SELECT metric, to_char(day, 'YYYY-MM-DD') AS day, value FROM stats_daily
        WHERE tenant_id = $1 AND metric = ANY($2) AND day BETWEEN $3 AND $4`,
      [actor.tenantId, q.metrics, q.from, q.to],
    );
    const byKey = new Map(stored.map((r) => [`${r.metric}|${r.day}`, Number(r.value)]));
    const days: string[] = [];
    for (let t = Date.parse(`${q.from}T00:00:00Z`); t <= Date.parse(`${q.to}T00:00:00Z`); t += DAY_MS) {
      days.push(new Date(t).toISOString().slice(0, 10));
    }
    return {
      from: q.from,
      to: q.to,
      timeZone: tenant?.time_zone ?? 'Asia/Shanghai',
      series: q.metrics.map((metric) => ({
        metric,
        points: days.map((day) => ({ day, value: byKey.get(`${metric}|${day}`) ?? 0 })),
      })),
    };
  }
}

/** The last `n` calendar days (oldest first, today last) in a time zone, as YYYY-MM-DD. */
export function lastLocalDays(now: Date, timeZone: string, n: number): string[] {
  const fmt = new Intl.DateTimeFormat('en-CA', { timeZone });
  const today = fmt.format(now);
  const out: string[] = [];
  for (let i = n - 1; i >= 0; i--) {
    out.push(new Date(Date.parse(`${today}T00:00:00Z`) - i * DAY_MS).toISOString().slice(0, 10));
  }
  return out;
}
