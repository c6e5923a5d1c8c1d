import type { DataSource } from 'typeorm';
import { SecurityPolicy } from '../../../shared/auth';
import type { Actor, RequestContext } from '../../platform/http/actor';
import type { AuditService } from '../admin';
import { AuditedSetting, type SettingsService } from '../tenants';
import { SECURITY_POLICY_KEY } from './local-login.service';

export class SecurityPolicyService {
  private readonly setting: AuditedSetting<typeof SecurityPolicy>;

  constructor(ds: DataSource, settings: SettingsService, audit: AuditService) {
    this.setting = new AuditedSetting(
      { ds, settings, audit },
      SECURITY_POLICY_KEY,
      SecurityPolicy,
      'policy.security_updated',
    );
  }

  get(actor: Actor): Promise<SecurityPolicy> {
    return this.setting.get(actor.tenantId);
  }

  update(actor: Actor, next: SecurityPolicy, ctx: RequestContext): Promise<SecurityPolicy> {
    return this.setting.update(actor, next, ctx);
  }
}
