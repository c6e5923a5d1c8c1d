import { randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * App tokens, jsapi tickets and login-free codes with DingTalk's lifetimes (doc §1.3, §1.5, §3.6).
 * Time comes from the injected `now` so tests can move past expiries without sleeping.
 */

export const TOKEN_TTL_MS = 7200 * 1000;
export const TICKET_MAX_AGE_MS = 24 * 3600 * 1000;
export const AUTH_CODE_TTL_MS = 5 * 60 * 1000;

export interface AppCredentials {
  appKey: string;
  appSecret: string;
}

export class CredentialStore {
  private token?: { value: string; expiresAt: number };
  private ticket?: { value: string; expiresAt: number; bornAt: number };
  private readonly codes = new Map<string, { userid: string; expiresAt: number }>();

  constructor(
    private readonly app: AppCredentials,
    private readonly now: () => number,
  ) {}

  checkApp(appKey: unknown, appSecret: unknown): boolean {
    return safeEqual(appKey, this.app.appKey) && safeEqual(appSecret, this.app.appSecret);
  }

  /** Same token while valid, and every fetch extends it to now + 7200 s. */
  issueToken(): { token: string; expiresIn: number } {
    const now = this.now();
    if (!this.token || this.token.expiresAt <= now)
      this.token = { value: randomBytes(16).toString('hex'), expiresAt: 0 };
    this.token.expiresAt = now + TOKEN_TTL_MS;
    return { token: this.token.value, expiresIn: TOKEN_TTL_MS / 1000 };
  }

  isValidToken(token: unknown): boolean {
    return !!this.token && this.token.expiresAt > this.now() && safeEqual(token, this.token.value);
  }

  /** Test hook: every token (and ticket) dies now, as if DingTalk revoked them mid-run. */
  expireAll(): void {
    this.token = undefined;
    this.ticket = undefined;
  }

  /** Same ticket while valid, renewed by 2 h per fetch, but never older than 24 h. */
  issueTicket(): { ticket: string; expiresIn: number } {
    const now = this.now();
    if (!this.ticket || this.ticket.expiresAt <= now) {
      this.ticket = { value: randomBytes(48).toString('base64url'), expiresAt: 0, bornAt: now };
    }
    this.ticket.expiresAt = Math.min(now + TOKEN_TTL_MS, this.ticket.bornAt + TICKET_MAX_AGE_MS);
    return { ticket: this.ticket.value, expiresIn: Math.round((this.ticket.expiresAt - now) / 1000) };
  }

  issueAuthCode(userid: string): string {
    const code = randomBytes(16).toString('hex');
    this.codes.set(code, { userid, expiresAt: this.now() + AUTH_CODE_TTL_MS });
    return code;
  }

  /** Single use: a redeemed, unknown or expired code gives undefined. */
  redeemAuthCode(code: unknown): string | undefined {
    if (typeof code !== 'string') return undefined;
    const entry = this.codes.get(code);
    if (!entry) return undefined;
    this.codes.delete(code);
    return entry.expiresAt > this.now() ? entry.userid : undefined;
  }
}

function safeEqual(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
