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

  // Known gaps, reported to the lead (not fixed here: the fix changes what every suite's tokenFor() grants).
  it.skip(
    'HOLE: a demoted admin keeps admin until the token expires (roles are taken from the token, not the member row)',
  );
  it.skip(
    'HOLE: there is no sign-out or revocation: a token stays valid after a password change until it expires',
  );
});
