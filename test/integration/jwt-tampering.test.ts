import { createHmac, generateKeyPairSync } from 'node:crypto';
import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { deriveKey } from '../../server/platform/secrets';
import { createLocalUser, createTenant, tokenFor } from '../support/fixtures';
import { startTestApp, TEST_MASTER_SECRET, type TestApp } from '../support/test-app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers of many shapes, read field by field
type Json = any;

const b64 = (obj: unknown) => Buffer.from(JSON.stringify(obj)).toString('base64url');

/**
 * @security Bearer tokens through the real HTTP stack: every tampered, foreign, expired or
 * outdated token is answered 401 with the error envelope; a genuine token of one organization
 * never reaches another's objects.
 */
describe('@security JWT tampering through the API', function () {
  this.timeout(60_000);
  let app: TestApp;
  let tenantA: string;
  let tenantB: string;
  let adminA: { id: string; token: string };
  let employeeA: { id: string; token: string };
  let memberB: string;
  const key = deriveKey(TEST_MASTER_SECRET, 'jwt:hs256');

  before(async () => {
    app = await startTestApp();
    tenantA = (await createTenant(app, 'jwta')).id;
    tenantB = (await createTenant(app, 'jwtb')).id;
    const a = await createLocalUser(app, tenantA, { roles: ['admin'] });
    const e = await createLocalUser(app, tenantA, { roles: ['employee'] });
    memberB = (await createLocalUser(app, tenantB, { roles: ['admin'] })).member.id;
    adminA = { id: a.member.id, token: tokenFor(app, tenantA, a.member.id, ['admin']) };
    employeeA = { id: e.member.id, token: tokenFor(app, tenantA, e.member.id, ['employee']) };
  });
  after(() => app.close());

  async function get(path: string, authorization: string | null) {
    const res = await fetch(`${app.url}/api/v1${path}`, {
      headers: authorization ? { authorization } : {},
    });
    return { status: res.status, body: (await res.json()) as Json };
  }
  const bearer = (t: string) => `Bearer ${t}`;
  const claims = (memberId: string, tid: string, roles: string[], extra: Record<string, unknown> = {}) => {
    const now = Math.floor(app.clock.now().getTime() / 1000);
    return {
      sub: memberId,
      tid,
      roles,
      scope: 'full',
      iss: 'orgmail',
      aud: 'orgmail-api',
      iat: now,
      exp: now + 600,
      ...extra,
    };
  };
  const hs256 = (payload: unknown, secret: Buffer | string = key) => {
    const head = b64({ alg: 'HS256', typ: 'JWT' });
    const body = b64(payload);
    return `${head}.${body}.${createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url')}`;
  };

  async function expect401(name: string, authorization: string, code = 'unauthenticated') {
    const res = await get('/admin/members', authorization);
    expect(res.status, name).to.equal(401);
    expect(res.body.error.code, name).to.equal(code);
    expect(res.body.error.requestId, name).to.be.a('string');
  }

  it('the genuine tokens work (the baseline the refusals are measured against)', async () => {
    expect((await get('/admin/members', bearer(adminA.token))).status).to.equal(200);
    expect((await get('/me', bearer(employeeA.token))).status).to.equal(200);
    expect((await get('/admin/members', bearer(employeeA.token))).status).to.equal(403);
  });

  it('refuses alg none, HS512, RS256 and the RS/HS key confusion', async () => {
    const payload = claims(adminA.id, tenantA, ['admin']);
    await expect401('alg none', bearer(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`));
    await expect401('alg NONE', bearer(`${b64({ alg: 'NONE', typ: 'JWT' })}.${b64(payload)}.`));
    await expect401('HS512 with the right key', bearer(jwt.sign(payload, key, { algorithm: 'HS512' })));
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await expect401('RS256', bearer(jwt.sign(payload, privateKey, { algorithm: 'RS256' })));
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await expect401('HS256 keyed with a public key', bearer(hs256(payload, pem)));
  });

  it('refuses a changed payload under the old signature (role raised, organization swapped)', async () => {
    const [head, body, sig] = employeeA.token.split('.');
    const raised = { ...JSON.parse(Buffer.from(body!, 'base64url').toString()), roles: ['admin'] };
    await expect401('roles raised', bearer(`${head}.${b64(raised)}.${sig}`));
    const swapped = { ...JSON.parse(Buffer.from(body!, 'base64url').toString()), tid: tenantB };
    await expect401('tid swapped', bearer(`${head}.${b64(swapped)}.${sig}`));
    await expect401('signature stripped', bearer(`${head}.${body}.`));
    await expect401('signature of another token', bearer(`${head}.${body}.${adminA.token.split('.')[2]}`));
  });

  it('refuses expired, not-yet-valid, wrong issuer/audience and malformed tokens', async () => {
    const now = Math.floor(app.clock.now().getTime() / 1000);
    await expect401(
      'expired',
      bearer(hs256(claims(adminA.id, tenantA, ['admin'], { exp: now - 1 }))),
      'token_expired',
    );
    await expect401('not before', bearer(hs256(claims(adminA.id, tenantA, ['admin'], { nbf: now + 600 }))));
    await expect401('issuer', bearer(hs256(claims(adminA.id, tenantA, ['admin'], { iss: 'someone-else' }))));
    await expect401('audience', bearer(hs256(claims(adminA.id, tenantA, ['admin'], { aud: 'other-app' }))));
    await expect401('no exp', bearer(hs256({ ...claims(adminA.id, tenantA, ['admin']), exp: undefined })));
    await expect401('unknown role', bearer(hs256(claims(adminA.id, tenantA, ['root']))));
    await expect401('garbage', bearer('not.a.jwt'));
    await expect401('Basic scheme', `Basic ${Buffer.from('a:b').toString('base64')}`);
    await expect401('two tokens', `Bearer ${adminA.token} ${adminA.token}`);
    // The genuine token expires with the clock.
    const short = app.services.jwt.sign(
      { tenantId: tenantA, memberId: adminA.id, roles: ['admin'], scope: 'full' },
      60,
    );
    app.clock.advance(61_000);
    await expect401('expired by the clock', bearer(short.token), 'token_expired');
  });

  it('a correctly signed token naming a member of another organization is refused', async () => {
    await expect401('member of A in tenant B', bearer(hs256(claims(adminA.id, tenantB, ['admin']))));
    await expect401(
      'unknown member',
      bearer(hs256(claims('00000000-0000-4000-8000-000000000001', tenantA, ['admin']))),
    );
  });

  it("an admin of A reaches none of B's objects (404), only its own", async () => {
    const res = await get(`/admin/members/${memberB}`, bearer(adminA.token));
    expect(res.status).to.equal(404);
    expect(res.body.error.code).to.equal('not_found');
    const list = await get('/admin/members', bearer(adminA.token));
    expect(JSON.stringify(list.body)).not.to.include(memberB);
  });

  it('a suspended member, a member whose sign-in an admin suspended, and a suspended organization are refused at once', async () => {
    const victim = await createLocalUser(app, tenantA, { roles: ['admin'] });
    const token = bearer(tokenFor(app, tenantA, victim.member.id, ['admin']));
    expect((await get('/me', token)).status).to.equal(200);
    await app.ds.query(`UPDATE members SET status = 'suspended' WHERE tenant_id = $1 AND id = $2`, [
      tenantA,
      victim.member.id,
    ]);
    expect((await get('/me', token)).body.error.code).to.equal('auth.account_suspended');
    await app.ds.query(
      `UPDATE members SET status = 'active', admin_suspended_at = now() WHERE tenant_id = $1 AND id = $2`,
      [tenantA, victim.member.id],
    );
    expect((await get('/me', token)).status).to.equal(401);
    await app.ds.query(`UPDATE members SET admin_suspended_at = NULL WHERE tenant_id = $1 AND id = $2`, [
      tenantA,
      victim.member.id,
    ]);
    await app.ds.query(`UPDATE tenants SET status = 'suspended' WHERE id = $1`, [tenantA]);
    expect((await get('/me', token)).status).to.equal(401);
    await app.ds.query(`UPDATE tenants SET status = 'active' WHERE id = $1`, [tenantA]);
    expect((await get('/me', token)).status).to.equal(200);
    await app.ds
      .query(`DELETE FROM members WHERE tenant_id = $1 AND id = $2`, [tenantA, victim.member.id])
      .catch(async () => {
        await app.ds.query(`UPDATE members SET status = 'purged' WHERE tenant_id = $1 AND id = $2`, [
          tenantA,
          victim.member.id,
        ]);
      });
    expect((await get('/me', token)).status).to.equal(401);
  });

  it("a demoted admin loses admin on the next request: roles are the token's that the member row still holds", async () => {
    const boss = await createLocalUser(app, tenantA, { roles: ['admin', 'employee'] });
    const adminOnly = bearer(tokenFor(app, tenantA, boss.member.id, ['admin']));
    const both = bearer(tokenFor(app, tenantA, boss.member.id, ['admin', 'employee']));
    expect((await get('/admin/members', adminOnly)).status).to.equal(200);
    expect((await get('/admin/members', both)).status).to.equal(200);
    await app.ds.query(`UPDATE members SET roles = '{employee}' WHERE tenant_id = $1 AND id = $2`, [
      tenantA,
      boss.member.id,
    ]);
    // A token of nothing but admin is left with no role at all: sign in again.
    const refused = await get('/admin/members', adminOnly);
    expect(refused.status).to.equal(401);
    expect(refused.body.error.code).to.equal('token_revoked');
    // A token that also says employee keeps that, and only that.
    expect((await get('/admin/members', both)).status).to.equal(403);
    expect((await get('/me', both)).status).to.equal(200);
    // A token can never grant a role the member row lacks.
    const forgedUp = bearer(tokenFor(app, tenantA, employeeA.id, ['admin', 'employee']));
    expect((await get('/admin/members', forgedUp)).status).to.equal(403);
  });

  it('a password change, "sign out everywhere" and an admin ending the sessions each revoke every earlier token', async () => {
    const user = await createLocalUser(app, tenantA, { roles: ['employee'] });
    const slug = (await app.ds.query(`SELECT slug FROM tenants WHERE id = $1`, [tenantA]))[0].slug as string;
    const login = async (password: string) => {
      const res = await fetch(`${app.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tenant: slug, username: user.username, password }),
      });
      expect(res.status, 'sign-in').to.equal(200);
      return bearer(((await res.json()) as Json).token as string);
    };
    const post = async (path: string, authorization: string, body?: unknown) =>
      fetch(`${app.url}/api/v1${path}`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    const phone = await login(user.password);
    const laptop = await login(user.password);
    expect((await get('/me', phone)).status).to.equal(200);
    const newPassword = 'a brand new passphrase 2026';
    expect(
      (await post('/auth/password', laptop, { currentPassword: user.password, newPassword })).status,
    ).to.equal(204);
    for (const old of [phone, laptop]) {
      const res = await get('/me', old);
      expect(res.status).to.equal(401);
      expect(res.body.error.code).to.equal('token_revoked');
    }

    const again = await login(newPassword);
    const other = await login(newPassword);
    expect((await post('/auth/sign-out', again)).status).to.equal(204);
    expect((await get('/me', again)).status).to.equal(401);
    expect((await get('/me', other)).status).to.equal(401);

    const fresh = await login(newPassword);
    expect((await get('/me', fresh)).status).to.equal(200);
    // Only an admin of the member's own organization can end someone else's sessions.
    expect(
      (await post(`/admin/members/${user.member.id}/sessions/revoke`, bearer(employeeA.token))).status,
    ).to.equal(403);
    const foreign = bearer(tokenFor(app, tenantB, memberB, ['admin']));
    expect((await post(`/admin/members/${user.member.id}/sessions/revoke`, foreign)).status).to.equal(404);
    expect((await get('/me', fresh)).status).to.equal(200);
    expect(
      (await post(`/admin/members/${user.member.id}/sessions/revoke`, bearer(adminA.token))).status,
    ).to.equal(204);
    expect((await get('/me', fresh)).status).to.equal(401);
    const audit = await app.ds.query(
      `SELECT action FROM audit_log WHERE tenant_id = $1 AND target_id = $2 ORDER BY created_at`,
      [tenantA, user.member.id],
    );
    expect(audit.map((r: { action: string }) => r.action)).to.include.members([
      'auth.password_changed',
      'auth.signed_out_everywhere',
      'member.sessions_ended',
    ]);
    // A new sign-in works after all of it.
    expect((await get('/me', await login(newPassword))).status).to.equal(200);
  });
});
