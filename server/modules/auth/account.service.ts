import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { ChangePasswordBody, Role, TotpSetupDto } from '../../../shared/auth';
import { ErrorCodes } from '../../../shared/errors';
import type { Clock } from '../../platform/clock';
import { AppError, ConflictError, NotFoundError, ValidationError } from '../../platform/errors';
import type { Actor, RequestContext } from '../../platform/http/actor';
import type { SecretBox } from '../../platform/secrets';
import type { AuditService } from '../admin';
import { Member } from '../directory';
import type { PasswordHasher } from './password-hasher';
import type { Totp } from './totp';

/** A member's own credentials: password changes and TOTP enrolment. */
export class AccountService {
  constructor(
    private readonly d: {
      ds: DataSource;
      audit: AuditService;
      hasher: PasswordHasher;
      totp: Totp;
      box: SecretBox;
      clock: Clock;
      issuer: string;
    },
  ) {}

  /** Starts enrolment: a fresh secret, kept sealed and inactive until a first code proves it. */
  async beginTotp(actor: Actor): Promise<TotpSetupDto> {
    const member = await this.member(actor);
    if (member.totpEnabledAt) throw new ConflictError('Two-factor authentication is already on');
    const secret = this.d.totp.newSecret();
    await this.d.ds.manager.update(
      Member,
      { tenantId: actor.tenantId, id: member.id },
      { totpSecret: this.d.box.seal(secret) },
    );
    const label = member.username ?? member.email ?? member.displayName;
    return { secret, otpauthUrl: this.d.totp.uri(secret, this.d.issuer, label) };
  }

  async enableTotp(actor: Actor, code: string, ctx: RequestContext): Promise<void> {
    const member = await this.member(actor);
    if (member.totpEnabledAt) throw new ConflictError('Two-factor authentication is already on');
    if (!member.totpSecret) throw new ValidationError('Start two-factor setup first');
    const step = this.d.totp.verify(this.d.box.open(member.totpSecret), code, null);
    if (step === null)
      throw new AppError(ErrorCodes.totpInvalid, 400, 'That code is not right; check the time on your phone');
    await this.d.ds.transaction(async (em) => {
      await em.update(
        Member,
        { tenantId: actor.tenantId, id: member.id },
        { totpEnabledAt: this.d.clock.now(), totpLastStep: String(step) },
      );
      await this.d.audit.record(em, {
        tenantId: actor.tenantId,
        actorType: 'member',
        actorId: actor.memberId,
        action: 'auth.totp_enabled',
        targetType: 'member',
        targetId: member.id,
        ctx,
      });
    });
  }

  async changePassword(actor: Actor, body: ChangePasswordBody, ctx: RequestContext): Promise<void> {
    const member = await this.member(actor);
    if (!(await this.d.hasher.verify(member.passwordHash, body.currentPassword))) {
      throw new AppError(ErrorCodes.invalidCredentials, 400, 'The current password is wrong');
    }
    if (body.newPassword === body.currentPassword) {
      throw new AppError(ErrorCodes.passwordTooWeak, 400, 'Choose a password different from the current one');
    }
    const passwordHash = await this.d.hasher.hash(body.newPassword);
    await this.d.ds.transaction(async (em) => {
      await em.update(
        Member,
        { tenantId: actor.tenantId, id: member.id },
        { passwordHash, isPasswordChangeRequired: false },
      );
      // Every session signed with the old password ends (this one too: the client signs in again).
      await em.increment(Member, { tenantId: actor.tenantId, id: member.id }, 'tokenGeneration', 1);
      await this.d.audit.record(em, {
        tenantId: actor.tenantId,
        actorType: 'member',
        actorId: actor.memberId,
        action: 'auth.password_changed',
        targetType: 'member',
        targetId: member.id,
        ctx,
      });
    });
  }

  /** "Sign out everywhere": every token of this member, the caller's own included, is refused from now on. */
  async signOutEverywhere(actor: Actor, ctx: RequestContext): Promise<void> {
    await this.d.ds.transaction(async (em) => {
      await em.increment(Member, { tenantId: actor.tenantId, id: actor.memberId }, 'tokenGeneration', 1);
      await this.d.audit.record(em, {
        tenantId: actor.tenantId,
        actorType: 'member',
        actorId: actor.memberId,
        action: 'auth.signed_out_everywhere',
        targetType: 'member',
        targetId: actor.memberId,
        ctx,
      });
    });
  }

  /**
   * Creates a local account with a one-time password (returned once, never stored in clear);
   * the first sign-in must replace it. Returns undefined when the name is already taken.
   */
  async createLocalAccount(
    tenantId: string,
    input: { username: string; displayName: string; roles: Role[] },
  ): Promise<{ member: Member; oneTimePassword: string } | undefined> {
    const oneTimePassword = randomBytes(12).toString('base64url');
    const passwordHash = await this.d.hasher.hash(oneTimePassword);
    return this.d.ds.transaction(async (em) => {
      const taken = await em
        .createQueryBuilder(Member, 'm')
        .where('m.tenant_id = :tenantId AND lower(m.username) = lower(:u)', { tenantId, u: input.username })
        .getExists();
      if (taken) return undefined;
      const member = await em.save(
        em.create(Member, {
          tenantId,
          username: input.username,
          displayName: input.displayName,
          roles: input.roles,
          passwordHash,
          isPasswordChangeRequired: true,
        }),
      );
      await this.d.audit.record(em, {
        tenantId,
        actorType: 'system',
        action: 'auth.local_account_created',
        targetType: 'member',
        targetId: member.id,
        details: { username: input.username, roles: input.roles },
      });
      return { member, oneTimePassword };
    });
  }

  private async member(actor: Actor): Promise<Member> {
    const member = await this.d.ds.manager.findOneBy(Member, {
      tenantId: actor.tenantId,
      id: actor.memberId,
    });
    if (!member) throw new NotFoundError('Member');
    return member;
  }
}
