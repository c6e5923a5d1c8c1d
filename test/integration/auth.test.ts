import { expect } from 'chai';
import request from 'supertest';
import { createLocalUser, createTenant } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

describe('auth: local sign-in, lockout and 2FA', () => {
  let app: TestApp;
  let tenant: Awaited<ReturnType<typeof createTenant>>;
  before(async () => {
    app = await startTestApp();
    tenant = await createTenant(app, 'acme');
  });
  after(() => app.close());

  const login = (body: Record<string, unknown>) =>
    request(app.url)
      .post('/api/v1/auth/login')
      .send({ tenant: 'acme', ...body });

  it('signs in with the right password and reads /me with the token', async () => {
    const user = await createLocalUser(app, tenant.id, { username: 'Alice' });
    const res = await login({ username: 'alice', password: user.password }).expect(200);
    expect(res.body.scope).to.equal('full');
    expect(res.body.member).to.include({ username: 'Alice', status: 'active' });
    const me = await request(app.url)
      .get('/api/v1/me')
      .set('authorization', `Bearer ${res.body.token}`)
      .expect(200);
    expect(me.body.id).to.equal(user.member.id);
  });

  it('gives the same answer for a wrong password, an unknown user and an unknown organization', async () => {
    await createLocalUser(app, tenant.id, { username: 'bob' });
    const a = await login({ username: 'bob', password: 'wrong password' }).expect(401);
    const b = await login({ username: 'nobody', password: 'wrong password' }).expect(401);
    const c = await request(app.url)
      .post('/api/v1/auth/login')
      .send({ tenant: 'no-such-org', username: 'bob', password: 'x' })
      .expect(401);
    for (const res of [a, b, c]) expect(res.body.error.code).to.equal('auth.invalid_credentials');
  });

  it('locks an account after 10 failures in 10 minutes, for 30 minutes, even for the right password', async () => {
    const user = await createLocalUser(app, tenant.id, { username: 'carol' });
    for (let i = 0; i < 10; i++) await login({ username: 'carol', password: `guess ${i}` }).expect(401);
    const locked = await login({ username: 'carol', password: user.password }).expect(423);
    expect(locked.body.error.code).to.equal('auth.account_locked');
    expect(Number(locked.headers['retry-after'])).to.be.within(1700, 1800);
    const audit = await app.ds.query(`SELECT action FROM audit_log WHERE tenant_id = $1 AND target_id = $2`, [
      tenant.id,
      user.member.id,
    ]);
    expect(audit.map((r: { action: string }) => r.action)).to.include('auth.locked');

    app.clock.advance(29 * 60_000);
    await login({ username: 'carol', password: user.password }).expect(423);
    app.clock.advance(2 * 60_000);
    await login({ username: 'carol', password: user.password }).expect(200);
  });

  it('does not lock for failures spread beyond the window', async () => {
    const user = await createLocalUser(app, tenant.id, { username: 'dave' });
    for (let i = 0; i < 9; i++) await login({ username: 'dave', password: `guess ${i}` }).expect(401);
    app.clock.advance(11 * 60_000);
    await login({ username: 'dave', password: 'guess again' }).expect(401);
    await login({ username: 'dave', password: user.password }).expect(200);
  });

  it('a first sign-in with the one-time password only allows changing it', async () => {
    const created = await app.services.accounts.createLocalAccount(tenant.id, {
      username: 'newadmin',
      displayName: '新管理员',
      roles: ['admin'],
    });
    const res = await login({ username: 'newadmin', password: created!.oneTimePassword }).expect(200);
    expect(res.body.scope).to.equal('enroll');
    const auth = `Bearer ${res.body.token}`;
    const blocked = await request(app.url)
      .get(`/api/v1/members/${created!.member.id}`)
      .set('authorization', auth)
      .expect(403);
    expect(blocked.body.error.code).to.equal('auth.totp_enrollment_required');
    await request(app.url)
      .post('/api/v1/auth/password')
      .set('authorization', auth)
      .send({ currentPassword: created!.oneTimePassword, newPassword: 'short' })
      .expect(400);
    await request(app.url)
      .post('/api/v1/auth/password')
      .set('authorization', auth)
      .send({ currentPassword: created!.oneTimePassword, newPassword: 'a much better passphrase' })
      .expect(204);
    const again = await login({ username: 'newadmin', password: 'a much better passphrase' }).expect(200);
    expect(again.body.scope).to.equal('full');
  });

  it('enrols TOTP, then demands a code, and never accepts the same code twice', async () => {
    const user = await createLocalUser(app, tenant.id, { username: 'erin' });
    const first = await login({ username: 'erin', password: user.password }).expect(200);
    const auth = `Bearer ${first.body.token}`;
    const setup = await request(app.url)
      .post('/api/v1/auth/totp/setup')
      .set('authorization', auth)
      .expect(200);
    expect(setup.body.otpauthUrl).to.match(/^otpauth:\/\/totp\//);
    await request(app.url)
      .post('/api/v1/auth/totp/enable')
      .set('authorization', auth)
      .send({ code: '000000' })
      .expect(400);
    await request(app.url)
      .post('/api/v1/auth/totp/enable')
      .set('authorization', auth)
      .send({ code: app.services.totp.codeNow(setup.body.secret) })
      .expect(204);
    const stored = await app.ds.query(`SELECT totp_secret FROM members WHERE id = $1`, [user.member.id]);
    expect(stored[0].totp_secret).to.not.include(setup.body.secret);

    const needCode = await login({ username: 'erin', password: user.password }).expect(401);
    expect(needCode.body.error.code).to.equal('auth.totp_required');
    app.clock.advance(30_000);
    const code = app.services.totp.codeNow(setup.body.secret);
    await login({ username: 'erin', password: user.password, totpCode: code }).expect(200);
    const replay = await login({ username: 'erin', password: user.password, totpCode: code }).expect(401);
    expect(replay.body.error.code).to.equal('auth.totp_invalid');
  });

  it('when an admin makes 2FA mandatory, an admin without it gets an enrolment-only session', async () => {
    const boss = await createLocalUser(app, tenant.id, { username: 'frank' });
    const session = await login({ username: 'frank', password: boss.password }).expect(200);
    const policy = await request(app.url)
      .put('/api/v1/admin/security-policy')
      .set('authorization', `Bearer ${session.body.token}`)
      .send({ requireTotp: true, lockoutMaxFailures: 10, lockoutWindowMinutes: 10, lockoutMinutes: 30 })
      .expect(200);
    expect(policy.body.requireTotp).to.equal(true);
    const res = await login({ username: 'frank', password: boss.password }).expect(200);
    expect(res.body.scope).to.equal('enroll');
    await request(app.url)
      .get('/api/v1/admin/security-policy')
      .set('authorization', `Bearer ${res.body.token}`)
      .expect(403);
    await request(app.url)
      .post('/api/v1/auth/totp/setup')
      .set('authorization', `Bearer ${res.body.token}`)
      .expect(200);
    const audit = await app.ds.query(
      `SELECT details FROM audit_log WHERE tenant_id = $1 AND action = 'policy.security_updated'`,
      [tenant.id],
    );
    expect(audit[0].details.after.requireTotp).to.equal(true);
  });

  it('refuses a suspended member at sign-in and on every request with an existing token', async () => {
    const user = await createLocalUser(app, tenant.id, { username: 'gina' });
    const res = await login({ username: 'gina', password: user.password }).expect(200);
    await app.ds.query(`UPDATE members SET status = 'suspended' WHERE id = $1`, [user.member.id]);
    const denied = await request(app.url)
      .get('/api/v1/me')
      .set('authorization', `Bearer ${res.body.token}`)
      .expect(401);
    expect(denied.body.error.code).to.equal('auth.account_suspended');
    const refused = await login({ username: 'gina', password: user.password }).expect(401);
    expect(refused.body.error.code).to.equal('auth.account_suspended');
  });

  it('refuses an expired token with token_expired and a malformed Authorization header', async () => {
    const user = await createLocalUser(app, tenant.id, { username: 'hank' });
    const res = await login({ username: 'hank', password: user.password }).expect(200);
    app.clock.advance(13 * 3600_000);
    const expired = await request(app.url)
      .get('/api/v1/me')
      .set('authorization', `Bearer ${res.body.token}`)
      .expect(401);
    expect(expired.body.error.code).to.equal('token_expired');
    await request(app.url).get('/api/v1/me').set('authorization', 'Token abc').expect(401);
    await request(app.url).get('/api/v1/me').expect(401);
  });
});
