import { expect } from 'chai';
import { createLocalUser, createTenant } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers of many shapes, read field by field
type Json = any;

/**
 * @security Console password sign-in under brute force: an account locks (423, Retry-After) and
 * stays locked for the right password; one address guessing across many user names is slowed
 * down (429, Retry-After) for every account, also when spread over many organizations, while other
 * addresses are not; both end with the window.
 */
describe('@security console brute force: account lockout and per-address limit', function () {
  this.timeout(120_000);
  let app: TestApp;
  let tenantId: string;

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'bruteweb')).id;
  });
  after(() => app.close());

  async function login(username: string, password: string, ip: string) {
    const res = await fetch(`${app.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: JSON.stringify({ tenant: 'bruteweb', username, password }),
    });
    return {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      body: (await res.json()) as Json,
    };
  }

  it('10 wrong passwords lock the account: 423 with the envelope and Retry-After, right password refused, unlocked after 30 minutes', async () => {
    const user = await createLocalUser(app, tenantId, { username: 'locky' });
    for (let i = 0; i < 10; i++) {
      const r = await login('locky', `guess-${i}`, '198.51.100.7');
      expect(r.status).to.equal(401);
      expect(r.body.error.code).to.equal('auth.invalid_credentials');
    }
    // From another address too: the lock is on the account, not on the address.
    for (const ip of ['198.51.100.7', '203.0.113.99']) {
      const locked = await login('LOCKY', user.password, ip);
      expect(locked.status).to.equal(423);
      expect(locked.body.error).to.include({ code: 'auth.account_locked' });
      expect(locked.body.error.requestId).to.be.a('string');
      expect(Number(locked.retryAfter)).to.be.within(1700, 1800);
    }
    app.clock.advance(31 * 60_000);
    expect((await login('locky', user.password, '198.51.100.7')).status).to.equal(200);
  });

  it('50 failures from one address over many user names: that address gets 429 (even with a right password), others do not', async () => {
    const user = await createLocalUser(app, tenantId, { username: 'innocent' });
    const attacker = '192.0.2.66';
    for (let i = 0; i < 50; i++) {
      const r = await login(`name${i}`, 'password123', attacker);
      expect(r.status, `attempt ${i}`).to.equal(401);
    }
    const limited = await login('innocent', user.password, attacker);
    expect(limited.status).to.equal(429);
    expect(limited.body.error.code).to.equal('rate_limited');
    expect(Number(limited.retryAfter)).to.be.greaterThan(0);
    // No account was locked by the spray, and another address signs in normally.
    expect((await login('innocent', user.password, '192.0.2.67')).status).to.equal(200);
    const [{ n }] = await app.ds.query(
      `SELECT count(*)::int AS n FROM login_attempts WHERE tenant_id = $1 AND host(ip) = $2 AND NOT is_success`,
      [tenantId, attacker],
    );
    expect(n).to.equal(50);
    // The window passes: the address may try again.
    app.clock.advance(11 * 60_000);
    expect((await login('innocent', user.password, attacker)).status).to.equal(200);
  });

  it('100 failures from one address spread over organizations (also unknown ones) block it everywhere (429)', async () => {
    const user = await createLocalUser(app, tenantId, { username: 'sprayed' });
    const sprayer = '192.0.2.77';
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${app.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': sprayer },
        body: JSON.stringify({ tenant: `org-guess-${i}`, username: 'admin', password: 'admin' }),
      });
      expect(res.status, `attempt ${i}`).to.equal(401);
    }
    const limited = await login('sprayed', user.password, sprayer);
    expect(limited.status).to.equal(429);
    expect(limited.body.error.code).to.equal('rate_limited');
    expect(Number(limited.retryAfter)).to.equal(900);
    expect((await login('sprayed', user.password, '192.0.2.78')).status).to.equal(200);
    app.clock.advance(16 * 60_000);
    expect((await login('sprayed', user.password, sprayer)).status).to.equal(200);
  });

  it('a wrong organization or user name answers exactly like a wrong password (no account oracle)', async () => {
    await createLocalUser(app, tenantId, { username: 'known' });
    const a = await login('known', 'wrong', '192.0.2.80');
    const b = await login('unknown-user', 'wrong', '192.0.2.80');
    expect([a.status, b.status]).to.deep.equal([401, 401]);
    expect(a.body.error.code).to.equal(b.body.error.code);
    expect(a.body.error.message).to.equal(b.body.error.message);
  });
});
