import type { DataSource, EntityManager } from 'typeorm';
import type { ZodType, z } from 'zod';
import { Setting } from './setting.entity';

/** Typed access to admin-edited settings: each key has a zod schema that supplies its defaults. */
export class SettingsService {
  constructor(private readonly ds: DataSource) {}

  async get<S extends ZodType>(
    tenantId: string,
    key: string,
    schema: S,
    em: EntityManager = this.ds.manager,
  ): Promise<z.infer<S>> {
    const row = await em.findOneBy(Setting, { tenantId, key });
    const parsed = schema.safeParse(row?.value ?? {});
    // A stored value that no longer fits the schema (after an upgrade) falls back to defaults.
    return parsed.success ? parsed.data : schema.parse({});
  }

  async set<S extends ZodType>(
    em: EntityManager,
    tenantId: string,
    key: string,
    schema: S,
    value: z.input<S>,
    updatedBy: string | null,
  ): Promise<z.infer<S>> {
    const parsed = schema.parse(value);
    await em.query(
      `INSERT INTO settings (tenant_id, key, value, updated_by, updated_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (tenant_id, key) DO UPDATE SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by, updated_at = now()`,
      [tenantId, key, JSON.stringify(parsed), updatedBy],
    );
    return parsed;
  }
}
