import cron from 'node-cron';
import type { DataSource } from 'typeorm';
import { ValidationError } from '../../platform/errors';
import { SYNC_POLICY_KEY, SyncPolicy } from '../../../shared/directory/sync-policy';
import type { Actor, RequestContext } from '../../platform/http/actor';
import type { AuditService } from '../admin';
import type { SettingsService } from '../tenants';

export class SyncPolicyService {
  constructor(
    private readonly ds: DataSource,
    private readonly settings: SettingsService,
    private readonly audit: AuditService,
  ) {}

  get(actor: Actor): Promise<SyncPolicy> {
    return this.settings.get(actor.tenantId, SYNC_POLICY_KEY, SyncPolicy);
  }

  update(actor: Actor, next: SyncPolicy, ctx: RequestContext): Promise<SyncPolicy> {
    if (!cron.validate(next.nightlyCron)) {
      throw new ValidationError(
        `nightlyCron: "${next.nightlyCron}" is not a cron expression (e.g. "0 3 * * *")`,
      );
    }
    return this.ds.transaction(async (em) => {
      const before = await this.settings.get(actor.tenantId, SYNC_POLICY_KEY, SyncPolicy, em);
      const saved = await this.settings.set(
        em,
        actor.tenantId,
        SYNC_POLICY_KEY,
        SyncPolicy,
        next,
        actor.memberId,
      );
      await this.audit.record(em, {
        tenantId: actor.tenantId,
        actorType: 'member',
        actorId: actor.memberId,
        action: 'policy.sync_updated',
        targetType: 'setting',
        targetId: SYNC_POLICY_KEY,
        details: { before, after: saved },
        ctx,
      });
      return saved;
    });
  }
}
