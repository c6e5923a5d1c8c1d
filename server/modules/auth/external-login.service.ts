import type { DataSource } from 'typeorm';
import type { SessionDto } from '../../../shared/auth';
import { ErrorCodes } from '../../../shared/errors';
import type { Clock } from '../../platform/clock';
import { UnauthenticatedError } from '../../platform/errors';
import type { RequestContext } from '../../platform/http/actor';
import type { AuditService } from '../admin';
import { Member, presentMemberSummary } from '../directory';
import type { IdentityProvider } from './identity-provider.port';
import type { JwtService } from './jwt.service';

export interface ExternalLoginDeps {
  ds: DataSource;
  jwt: JwtService;
  audit: AuditService;
  clock: Clock;
  /** Finds the organization a platform names (DingTalk corpId). */
  resolveTenant: (platformOrgId: string) => Promise<string | null>;
  /** Brings one person over from the directory right now (someone who joined since the last sync). */
  syncMember: (tenantId: string, externalId: string) => Promise<void>;
}

/**
 * Sign-in vouched for by the workplace platform: the platform's identity → our member → a JWT.
 * Platform admins get the admin role; departed (suspended) members are refused.
 */
export class ExternalLoginService {
  constructor(private readonly d: ExternalLoginDeps) {}

  async signIn(
    provider: IdentityProvider,
    platformOrgId: string,
    code: string,
    ctx: RequestContext,
  ): Promise<SessionDto> {
    const tenantId = await this.d.resolveTenant(platformOrgId);
    if (!tenantId)
      throw new UnauthenticatedError(
        'This organization does not use OrgMail yet',
        ErrorCodes.invalidCredentials,
      );
    const identity = await provider.exchange(tenantId, code);

    let member = await this.find(tenantId, identity.externalId);
    if (!member) {
      await this.d.syncMember(tenantId, identity.externalId);
      member = await this.find(tenantId, identity.externalId);
    }
    if (!member)
      throw new UnauthenticatedError(
        'You are not in this organization’s directory',
        ErrorCodes.invalidCredentials,
      );
    if (member.status !== 'active') {
      throw new UnauthenticatedError(
        'Your account has left the organization and can no longer sign in',
        ErrorCodes.accountSuspended,
      );
    }
    if (member.adminSuspendedAt) {
      throw new UnauthenticatedError(
        'Your sign-in has been suspended by an administrator',
        ErrorCodes.accountSuspended,
      );
    }
    const roles =
      identity.isOrgAdmin && !member.roles.includes('admin')
        ? [...member.roles, 'admin' as const]
        : member.roles;
    await this.d.ds.transaction(async (em) => {
      await em.update(
        Member,
        { tenantId, id: member.id },
        { lastLoginAt: this.d.clock.now(), roles, isOrgAdmin: identity.isOrgAdmin || member.isOrgAdmin },
      );
      await this.d.audit.record(em, {
        tenantId,
        actorType: 'member',
        actorId: member.id,
        action: 'auth.login',
        targetType: 'member',
        targetId: member.id,
        details: { method: provider.name, admin: identity.isOrgAdmin },
        ctx,
      });
    });
    member.roles = roles;
    const session = this.d.jwt.sign(
      { tenantId, memberId: member.id, roles, scope: 'full' },
      undefined,
      member.tokenGeneration,
    );
    return {
      token: session.token,
      expiresAt: session.expiresAt.toISOString(),
      scope: 'full',
      member: presentMemberSummary(member),
    };
  }

  private find(tenantId: string, externalId: string): Promise<Member | null> {
    return this.d.ds.manager.findOneBy(Member, { tenantId, externalId });
  }
}
