import { z } from 'zod';

export const HealthDto = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
export const ReadinessDto = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({ database: z.boolean(), migrations: z.boolean() }),
  })
  .meta({ id: 'Readiness' });
export type ReadinessDto = z.infer<typeof ReadinessDto>;
