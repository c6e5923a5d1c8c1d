import type { DataSource } from 'typeorm';
import type { ZodType, z } from 'zod';
import type { Actor, RequestContext } from '../../platform/http/actor';
import type { AuditService } from '../admin';
import type { SettingsService } from './settings.service';

/**
 * One admin-edited setting (a policy): read with its defaults, changed in one transaction with an
 * audit entry that records the value before and after.
 */
export class AuditedSetting<S extends ZodType> {
  constructor(
    private readonly d: { ds: DataSource; settings: SettingsService; audit: AuditService },
    private readonly key: string,
    private readonly schema: S,
    private readonly action: string,
  ) {}

  get(tenantId: string): Promise<z.infer<S>> {
    return this.d.settings.get(tenantId, this.key, this.schema);
  }

  update(actor: Actor, next: z.input<S>, ctx: RequestContext): Promise<z.infer<S>> {
    return this.d.ds.transaction(async (em) => {
      const before = await this.d.settings.get(actor.tenantId, this.key, this.schema, em);
      const after = await this.d.settings.set(
        em,
        actor.tenantId,
        this.key,
        this.schema,
        next,
        actor.memberId,
      );
      await this.d.audit.record(em, {
        tenantId: actor.tenantId,
        actorType: 'member',
        actorId: actor.memberId,
        action: this.action,
        targetType: 'setting',
        targetId: this.key,
        details: { before, after },
        ctx,
      });
      return after;
    });
  }
}
