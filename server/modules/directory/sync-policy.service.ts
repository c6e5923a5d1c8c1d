import cron from 'node-cron';
import type { DataSource } from 'typeorm';
import { SYNC_POLICY_KEY, SyncPolicy } from '../../../shared/directory/sync-policy';
import { ValidationError } from '../../platform/errors';
import type { Actor, RequestContext } from '../../platform/http/actor';
import type { AuditService } from '../admin';
import { AuditedSetting, type SettingsService } from '../tenants';

export class SyncPolicyService {
  private readonly setting: AuditedSetting<typeof SyncPolicy>;

  constructor(ds: DataSource, settings: SettingsService, audit: AuditService) {
    this.setting = new AuditedSetting(
      { ds, settings, audit },
      SYNC_POLICY_KEY,
      SyncPolicy,
      'policy.sync_updated',
    );
  }

  get(actor: Actor): Promise<SyncPolicy> {
    return this.setting.get(actor.tenantId);
  }

  update(actor: Actor, next: SyncPolicy, ctx: RequestContext): Promise<SyncPolicy> {
    if (!cron.validate(next.nightlyCron)) {
      throw new ValidationError(
        `nightlyCron: "${next.nightlyCron}" is not a cron expression (e.g. "0 3 * * *")`,
      );
    }
    return this.setting.update(actor, next, ctx);
  }
}
