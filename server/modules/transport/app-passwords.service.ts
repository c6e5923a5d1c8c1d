import { randomInt } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { SecurityPolicy } from '../../../shared/auth';
import type { AppPasswordDto, CreatedAppPassword } from '../../../shared/mail/app-passwords';
import type { Clock } from '../../platform/clock';
import { returning } from '../../platform/db/returning';
import { NotFoundError, ValidationError } from '../../platform/errors';
import type { Actor, RequestContext } from '../../platform/http/actor';
import type { AuditService } from '../admin';
import { SECURITY_POLICY_KEY, type PasswordHasher } from '../auth';
import type { RecipientResolver } from '../mailboxes';
import type { SettingsService } from '../tenants';

/** At most this many live app passwords per member. */
const MAX_PER_MEMBER = 20;
/** Failed SMTP sign-ins allowed from one address (all accounts) per window before it is refused. */
const IP_FAILURE_LIMIT = 30;
const IP_WINDOW_MS = 15 * 60_000;
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz'; // no l/o: unambiguous when read aloud or typed

/** Who signed in over SMTP submission. */
export interface SmtpIdentity {
  tenantId: string;
  memberId: string;
  mailboxId: string;
  address: string;
}

/** Why an SMTP sign-in was refused: `locked` answers 454 (try later), otherwise 535. */
export class SmtpAuthError extends Error {
  constructor(
    message: string,
    readonly locked: boolean,
  ) {
    super(message);
    this.name = 'SmtpAuthError';
  }
}

interface Row {
  id: string;
  name: string;
  password_hash: string;
  created_at: Date;
  last_used_at: Date | null;
  last_used_ip: string | null;
}

/**
 * App passwords let mail clients submit over SMTP without the member's sign-in (which is DingTalk).
 * Shown once, stored as argon2id hashes; failed sign-ins count per address and per account
 * (login_attempts as `smtp:mailbox:<id>`, auth_failures per client address) and lock like web sign-ins.
 */
export class AppPasswordsService {
  constructor(
    private readonly d: {
      ds: DataSource;
      hasher: PasswordHasher;
      recipients: RecipientResolver;
      settings: SettingsService;
      audit: AuditService;
      clock: Clock;
      submission: { host: string; port: number };
    },
  ) {}

  async list(actor: Actor): Promise<AppPasswordDto[]> {
    const rows: Row[] = await this.d.ds.query(
      `SELECT id, name, password_hash, created_at, last_used_at, host(last_used_ip) AS last_used_ip FROM app_passwords
        WHERE tenant_id = $1 AND member_id = $2 AND revoked_at IS NULL ORDER BY created_at DESC`,
      [actor.tenantId, actor.memberId],
    );
    return rows.map(present);
  }

  async create(actor: Actor, name: string, ctx: RequestContext): Promise<CreatedAppPassword> {
    const [member]: { email: string | null }[] = await this.d.ds.query(
      `SELECT m.email FROM members m JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id AND b.status = 'active'
        WHERE m.tenant_id = $1 AND m.id = $2`,
      [actor.tenantId, actor.memberId],
    );
    if (!member?.email)
      throw new ValidationError('You have no mailbox, so there is nothing to sign in to over SMTP');
    const password = generate();
    const hash = await this.d.hasher.hash(password.replace(/-/g, ''));
    return this.d.ds.transaction(async (em) => {
      const [{ n }] = await em.query(
        `SELECT count(*)::int AS n FROM app_passwords WHERE tenant_id = $1 AND member_id = $2 AND revoked_at IS NULL`,
        [actor.tenantId, actor.memberId],
      );
      if (n >= MAX_PER_MEMBER)
        throw new ValidationError(
          `You already have ${MAX_PER_MEMBER} app passwords; revoke one you no longer use`,
        );
      const [row]: Row[] = await em.query(
        `INSERT INTO app_passwords (tenant_id, member_id, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, name, password_hash, created_at, last_used_at, NULL AS last_used_ip`,
        [actor.tenantId, actor.memberId, name, hash, this.d.clock.now()],
      );
      await this.d.audit.record(em, {
        tenantId: actor.tenantId,
        actorType: 'member',
        actorId: actor.memberId,
        action: 'auth.app_password_created',
        targetType: 'app_password',
        targetId: row!.id,
        details: { name },
        ctx,
      });
      return {
        appPassword: present(row!),
        password,
        username: member.email!,
        smtp: { host: this.d.submission.host, port: this.d.submission.port },
      };
    });
  }

  async revoke(actor: Actor, id: string, ctx: RequestContext): Promise<void> {
    await this.d.ds.transaction(async (em) => {
      const rows = await returning<{ id: string }>(
        em,
        `UPDATE app_passwords SET revoked_at = $4 WHERE tenant_id = $1 AND member_id = $2 AND id = $3 AND revoked_at IS NULL
         RETURNING id`,
        [actor.tenantId, actor.memberId, id, this.d.clock.now()],
      );
      if (rows.length === 0) throw new NotFoundError('App password');
      await this.d.audit.record(em, {
        tenantId: actor.tenantId,
        actorType: 'member',
        actorId: actor.memberId,
        action: 'auth.app_password_revoked',
        targetType: 'app_password',
        targetId: id,
        ctx,
      });
    });
  }

  /**
   * SMTP AUTH: user name = one of the member's addresses, password = a live app password.
   * Refused without checking the password once the client address (IP_FAILURE_LIMIT per window,
   * every account) or the mailbox (the security policy's lockout, whichever address or plus-tag was
   * typed) has failed too often. Both counts live in PostgreSQL, so every replica sees them.
   */
  async authenticate(username: string, password: string, ip: string | null): Promise<SmtpIdentity> {
    const now = this.d.clock.now();
    if (ip && (await this.ipFailures(ip, now)) >= IP_FAILURE_LIMIT)
      throw new SmtpAuthError('4.7.0 Too many failed sign-ins from your address, try again later', true);

    const login = username.trim().toLowerCase().slice(0, 320);
    const r = await this.d.recipients.resolve(login);
    const mailbox = r.kind === 'mailbox' || r.kind === 'alias' ? r : null;
    const fail = async (tenantId: string | null, key: string) => {
      if (ip) await this.recordIpFailure(ip, login, now);
      if (tenantId) await this.recordAttempt(tenantId, key, ip, false);
      return new SmtpAuthError('5.7.8 Authentication credentials invalid', false);
    };
    if (!mailbox || !mailbox.target.memberId || mailbox.target.status !== 'active') {
      await this.d.hasher.verify(null, password);
      throw await fail(
        mailbox?.tenantId ?? (r.kind === 'unknown_address' ? r.tenantId : null),
        `smtp:${login}`,
      );
    }
    const tenantId = mailbox.tenantId;
    const memberId = mailbox.target.memberId;
    // One counter per mailbox: `bob+1@`, `bob+2@` and bob's aliases all count against bob.
    const key = `smtp:mailbox:${mailbox.target.mailboxId}`;
    const policy = await this.d.settings.get(tenantId, SECURITY_POLICY_KEY, SecurityPolicy);
    const since = new Date(now.getTime() - policy.lockoutWindowMinutes * 60_000);
    const [{ failures }] = await this.d.ds.query(
      `SELECT count(*)::int AS failures FROM login_attempts
        WHERE tenant_id = $1 AND login = $2 AND NOT is_success AND created_at > greatest($3::timestamptz,
              coalesce((SELECT max(created_at) FROM login_attempts WHERE tenant_id = $1 AND login = $2 AND is_success), '-infinity'))`,
      [tenantId, key, since],
    );
    if (failures >= policy.lockoutMaxFailures)
      throw new SmtpAuthError('4.7.0 Too many failed sign-ins for this account, try again later', true);

    const rows: (Row & { member_status: string })[] = await this.d.ds.query(
      `SELECT a.id, a.password_hash, m.status AS member_status FROM app_passwords a
         JOIN members m ON m.tenant_id = a.tenant_id AND m.id = a.member_id
        WHERE a.tenant_id = $1 AND a.member_id = $2 AND a.revoked_at IS NULL`,
      [tenantId, memberId],
    );
    const candidate = password.replace(/[\s-]/g, '').toLowerCase();
    let matched: string | null = null;
    for (const row of rows) {
      if (row.member_status !== 'active') break;
      if (await this.d.hasher.verify(row.password_hash, candidate)) {
        matched = row.id;
        break;
      }
    }
    if (rows.length === 0) await this.d.hasher.verify(null, candidate);
    if (!matched) throw await fail(tenantId, key);
    await this.d.ds.query(
      `UPDATE app_passwords SET last_used_at = $3, last_used_ip = $4 WHERE tenant_id = $1 AND id = $2`,
      [tenantId, matched, now, ip],
    );
    await this.recordAttempt(tenantId, key, ip, true);
    return { tenantId, memberId, mailboxId: mailbox.target.mailboxId, address: mailbox.address };
  }

  private async ipFailures(ip: string, now: Date): Promise<number> {
    const [{ n }] = await this.d.ds.query(
      `SELECT count(*)::int AS n FROM auth_failures WHERE ip = $1 AND service = 'smtp' AND created_at > $2`,
      [ip, new Date(now.getTime() - IP_WINDOW_MS)],
    );
    return n;
  }

  private async recordIpFailure(ip: string, login: string, now: Date): Promise<void> {
    await this.d.ds.query(
      `WITH pruned AS (DELETE FROM auth_failures WHERE ip = $1 AND service = 'smtp' AND created_at < $4)
       INSERT INTO auth_failures (ip, service, login, created_at) VALUES ($1, 'smtp', $2, $3)`,
      [ip, login, now, new Date(now.getTime() - 24 * 3600_000)],
    );
  }

  private async recordAttempt(tenantId: string, key: string, ip: string | null, ok: boolean): Promise<void> {
    await this.d.ds.query(
      `INSERT INTO login_attempts (tenant_id, login, ip, is_success, created_at) VALUES ($1, $2, $3, $4, $5)`,
      [tenantId, key, ip, ok, this.d.clock.now()],
    );
  }
}

/** 16 letters in groups of four: `abcd-efgh-ijkm-npqr` (~73 bits). */
function generate(): string {
  const chars = Array.from({ length: 16 }, () => ALPHABET[randomInt(ALPHABET.length)]!);
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join('')).join('-');
}

function present(r: Row): AppPasswordDto {
  return {
    id: r.id,
    name: r.name,
    createdAt: new Date(r.created_at).toISOString(),
    lastUsedAt: r.last_used_at ? new Date(r.last_used_at).toISOString() : null,
    lastUsedIp: r.last_used_ip ?? null,
  };
}
