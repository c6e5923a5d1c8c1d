import type { DataSource, EntityManager } from 'typeorm';
import { SecurityPolicy, type LoginBody, type SessionDto } from '../../../shared/auth';
import { ErrorCodes } from '../../../shared/errors';
import type { Clock } from '../../platform/clock';
import { type AppError, RateLimitedError, UnauthenticatedError } from '../../platform/errors';
import type { RequestContext } from '../../platform/http/actor';
import type { SecretBox } from '../../platform/secrets';
import type { AuditService } from '../admin';
import { Member, presentMemberSummary } from '../directory';
import type { SettingsService, TenantsService } from '../tenants';
import type { JwtService } from './jwt.service';
import { LoginAttempt } from './login-attempt.entity';
import type { PasswordHasher } from './password-hasher';
import type { Totp } from './totp';

export const SECURITY_POLICY_KEY = 'security.policy';

/** Failures allowed from one IP across all names in the lockout window, before it is slowed down. */
const IP_FAILURE_LIMIT = 50;
/** Failures from one IP across every organization (also unknown ones) per window, kept in auth_failures. */
const GLOBAL_IP_FAILURE_LIMIT = 100;
const GLOBAL_IP_WINDOW_MS = 15 * 60_000;

export interface LocalLoginDeps {
  ds: DataSource;
  tenants: TenantsService;
  settings: SettingsService;
  audit: AuditService;
  hasher: PasswordHasher;
  totp: Totp;
  jwt: JwtService;
  box: SecretBox;
  clock: Clock;
}

/**
 * Password sign-in for local accounts (the console's break-glass admin): lockout after repeated
 * failures, TOTP when enabled or required by policy. Every attempt is recorded.
 */
export class LocalLoginService {
  constructor(private readonly d: LocalLoginDeps) {}

  async login(body: LoginBody, ctx: RequestContext): Promise<SessionDto> {
    const invalid = () =>
      new UnauthenticatedError('Wrong organization, user name or password', ErrorCodes.invalidCredentials);
    await this.refuseIfAddressThrottled(ctx.ip);
    const tenant = await this.d.tenants.findBySlug(body.tenant);
    if (!tenant || tenant.status !== 'active') {
      await this.d.hasher.verify(null, body.password);
      await this.recordAddressFailure(ctx.ip, `${body.tenant}/${body.username}`);
      throw invalid();
    }
    const policy = await this.d.settings.get(tenant.id, SECURITY_POLICY_KEY, SecurityPolicy);
    const login = body.username.toLowerCase();
    const now = this.d.clock.now();

    await this.refuseIfThrottled(tenant.id, ctx.ip, policy, now);
    const member = await this.d.ds.manager
      .createQueryBuilder(Member, 'm')
      .where('m.tenant_id = :tenantId AND lower(m.username) = :login', { tenantId: tenant.id, login })
      .getOne();
    if (member?.lockedUntil && member.lockedUntil > now) {
      throw this.lockedError(member.lockedUntil, now);
    }

    const passwordOk = await this.d.hasher.verify(member?.passwordHash ?? null, body.password);
    if (!member || !passwordOk) {
      await this.recordFailure(tenant.id, login, ctx, member ?? null, policy, now);
      throw invalid();
    }
    if (member.status !== 'active' || member.adminSuspendedAt) {
      await this.recordAttempt(this.d.ds.manager, tenant.id, login, ctx.ip, false);
      throw new UnauthenticatedError('This account is suspended', ErrorCodes.accountSuspended);
    }

    const privileged = member.roles.includes('admin') || member.roles.includes('auditor');
    let scope: 'full' | 'enroll' = 'full';
    if (member.totpEnabledAt && member.totpSecret) {
      if (!body.totpCode) {
        throw new UnauthenticatedError(
          'Enter the 6-digit code from your authenticator app',
          ErrorCodes.totpRequired,
        );
      }
      const step = this.d.totp.verify(
        this.d.box.open(member.totpSecret),
        body.totpCode,
        member.totpLastStep === null ? null : Number(member.totpLastStep),
      );
      if (step === null) {
        await this.recordFailure(tenant.id, login, ctx, member, policy, now);
        throw new UnauthenticatedError(
          'The authenticator code is wrong or already used',
          ErrorCodes.totpInvalid,
        );
      }
      member.totpLastStep = String(step);
    } else if (policy.requireTotp && privileged) {
      scope = 'enroll';
    }
    if (member.isPasswordChangeRequired) scope = 'enroll';

    await this.d.ds.transaction(async (em) => {
      await em.update(
        Member,
        { tenantId: tenant.id, id: member.id },
        { lastLoginAt: now, totpLastStep: member.totpLastStep, lockedUntil: null },
      );
      await this.recordAttempt(em, tenant.id, login, ctx.ip, true);
      await this.d.audit.record(em, {
        tenantId: tenant.id,
        actorType: 'member',
        actorId: member.id,
        action: 'auth.login',
        targetType: 'member',
        targetId: member.id,
        details: { method: 'password', scope },
        ctx,
      });
    });

    // A setup session is short: it can only enrol 2FA or change the password.
    const session = this.d.jwt.sign(
      { tenantId: tenant.id, memberId: member.id, roles: member.roles, scope },
      scope === 'enroll' ? 15 * 60 : undefined,
      member.tokenGeneration,
    );
    return {
      token: session.token,
      expiresAt: session.expiresAt.toISOString(),
      scope,
      member: presentMemberSummary(member),
    };
  }

  private async refuseIfThrottled(
    tenantId: string,
    ip: string | null,
    policy: SecurityPolicy,
    now: Date,
  ): Promise<void> {
    if (!ip) return;
    const since = new Date(now.getTime() - policy.lockoutWindowMinutes * 60_000);
    const [{ count }] = await this.d.ds.query(
      `SELECT count(*)::int AS count FROM login_attempts
        WHERE tenant_id = $1 AND ip = $2 AND NOT is_success AND created_at > $3`,
      [tenantId, ip, since],
    );
    if (count >= IP_FAILURE_LIMIT) {
      throw new RateLimitedError(
        'Too many failed sign-ins from your network; try again later',
        policy.lockoutWindowMinutes * 60,
      );
    }
  }

  /** Spraying many organizations (or guessing their names) from one address: counted across all of them. */
  private async refuseIfAddressThrottled(ip: string | null): Promise<void> {
    if (!ip) return;
    const [{ count }] = await this.d.ds.query(
      `SELECT count(*)::int AS count FROM auth_failures WHERE ip = $1 AND service = 'console' AND created_at > $2`,
      [ip, new Date(this.d.clock.now().getTime() - GLOBAL_IP_WINDOW_MS)],
    );
    if (count >= GLOBAL_IP_FAILURE_LIMIT) {
      throw new RateLimitedError(
        'Too many failed sign-ins from your network; try again later',
        GLOBAL_IP_WINDOW_MS / 1000,
      );
    }
  }

  private async recordAddressFailure(ip: string | null, login: string): Promise<void> {
    if (!ip) return;
    await this.d.ds.query(
      `WITH pruned AS (DELETE FROM auth_failures WHERE ip = $1 AND service = 'console' AND created_at < $4)
       INSERT INTO auth_failures (ip, service, login, created_at) VALUES ($1, 'console', $2, $3)`,
      [ip, login.slice(0, 320), this.d.clock.now(), new Date(this.d.clock.now().getTime() - 24 * 3600_000)],
    );
  }

  private async recordFailure(
    tenantId: string,
    login: string,
    ctx: RequestContext,
    member: Member | null,
    policy: SecurityPolicy,
    now: Date,
  ): Promise<void> {
    await this.recordAddressFailure(ctx.ip, login);
    await this.d.ds.transaction(async (em) => {
      await this.recordAttempt(em, tenantId, login, ctx.ip, false);
      if (!member) return;
      const since = new Date(now.getTime() - policy.lockoutWindowMinutes * 60_000);
      // Failures since the last success inside the window: a good sign-in resets the count.
      const [{ count }] = await em.query(
        `SELECT count(*)::int AS count FROM login_attempts
          WHERE tenant_id = $1 AND login = $2 AND NOT is_success AND created_at > greatest($3::timestamptz,
                coalesce((SELECT max(created_at) FROM login_attempts
                           WHERE tenant_id = $1 AND login = $2 AND is_success), '-infinity'))`,
        [tenantId, login, since],
      );
      if (count >= policy.lockoutMaxFailures) {
        const until = new Date(now.getTime() + policy.lockoutMinutes * 60_000);
        await em.update(Member, { tenantId, id: member.id }, { lockedUntil: until });
        await this.d.audit.record(em, {
          tenantId,
          actorType: 'system',
          action: 'auth.locked',
          targetType: 'member',
          targetId: member.id,
          details: { failures: count, until: until.toISOString() },
          ctx,
        });
      }
    });
  }

  private async recordAttempt(
    em: EntityManager,
    tenantId: string,
    login: string,
    ip: string | null,
    ok: boolean,
  ) {
    await em.insert(LoginAttempt, { tenantId, login, ip, isSuccess: ok, createdAt: this.d.clock.now() });
  }

  private lockedError(until: Date, now: Date): AppError {
    const seconds = Math.ceil((until.getTime() - now.getTime()) / 1000);
    return new RateLimitedError(
      `Too many failed sign-ins: this account is locked for ${Math.ceil(seconds / 60)} more minute(s)`,
      seconds,
      ErrorCodes.accountLocked,
      423,
    );
  }
}
