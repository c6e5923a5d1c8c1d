import { z } from 'zod';

/** What the console charts: per organization, per day (in the organization's time zone). */
export const STAT_METRICS = [
  'mail.received',
  'mail.junk',
  'mail.sent',
  'mail.received_bytes',
  'storage.used_bytes',
  'mailboxes.active',
  'mailboxes.suspended',
  /** Received copies whose sender's domain is hosted here (mail between colleagues or organizations here). */
  'mail.internal',
  /** Received copies from outside. */
  'mail.external_in',
  /** Sent copies with at least one recipient outside (To or Cc). */
  'mail.external_out',
] as const;
export const StatMetric = z.enum(STAT_METRICS);
export type StatMetric = z.infer<typeof StatMetric>;

export const StatsQuery = z
  .object({
    from: z.iso.date(),
    to: z.iso.date(),
    /** Comma-separated; all metrics when absent. */
    metrics: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (!v) return [...STAT_METRICS];
        const list = v.split(',').map((s) => s.trim());
        const bad = list.filter((m) => !(STAT_METRICS as readonly string[]).includes(m));
        if (bad.length > 0) {
          ctx.addIssue({ code: 'custom', message: `unknown metrics: ${bad.join(', ')}` });
          return z.NEVER;
        }
        return list as StatMetric[];
      }),
  })
  .refine((q) => q.from <= q.to, { message: '`from` must not be after `to`', path: ['from'] })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) <= 366 * 86_400_000, {
    message: 'at most 366 days at a time',
    path: ['to'],
  });

export const StatSeries = z.object({
  metric: StatMetric,
  /** One point per day in the range; days not rolled up yet are 0. */
  points: z.array(z.object({ day: z.iso.date(), value: z.number() })),
});

export const StatsDto = z
  .object({ from: z.iso.date(), to: z.iso.date(), timeZone: z.string(), series: z.array(StatSeries) })
  .meta({ id: 'Stats' });
export type StatsDto = z.infer<typeof StatsDto>;
