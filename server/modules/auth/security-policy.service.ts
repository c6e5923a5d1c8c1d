import type { DataSource } from 'typeorm';
import { SecurityPolicy } from '../../../shared/auth';
import type { Actor, RequestContext } from '../../platform/http/actor';
import type { AuditService } from '../admin';
import type { SettingsService } from '../tenants';
import { SECURITY_POLICY_KEY } from './local-login.service';

export class SecurityPolicyService {
  constructor(
    private readonly ds: DataSource,
    private readonly settings: SettingsService,
    private readonly audit: AuditService,
  ) {}

  get(actor: Actor): Promise<SecurityPolicy> {
    return this.settings.get(actor.tenantId, SECURITY_POLICY_KEY, SecurityPolicy);
  }

  update(actor: Actor, next: SecurityPolicy, ctx: RequestContext): Promise<SecurityPolicy> {
    return this.ds.transaction(async (em) => {
      const before = await this.settings.get(actor.tenantId, SECURITY_POLICY_KEY, SecurityPolicy, em);
      const saved = await this.settings.set(
        em,
        actor.tenantId,
        SECURITY_POLICY_KEY,
        SecurityPolicy,
        next,
        actor.memberId,
      );
      await this.audit.record(em, {
        tenantId: actor.tenantId,
        actorType: 'member',
        actorId: actor.memberId,
        action: 'policy.security_updated',
        targetType: 'setting',
        targetId: SECURITY_POLICY_KEY,
        details: { before, after: saved },
        ctx,
      });
      return saved;
    });
  }
}
