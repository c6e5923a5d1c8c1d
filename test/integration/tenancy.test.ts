import { expect } from 'chai';
import request from 'supertest';
import { createLocalUser, createTenant, tokenFor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

describe('tenant isolation', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it("an admin of tenant A gets 404 for tenant B's member, and 200 for their own", async () => {
    const a = await createTenant(app, 'tenant-a');
    const b = await createTenant(app, 'tenant-b');
    const adminA = await createLocalUser(app, a.id, { roles: ['admin'] });
    const colleagueA = await createLocalUser(app, a.id, { roles: ['employee'] });
    const memberB = await createLocalUser(app, b.id, { roles: ['employee'] });
    const token = tokenFor(app, a.id, adminA.member.id, ['admin']);

    await request(app.url)
      .get(`/api/v1/members/${colleagueA.member.id}`)
      .set('authorization', `Bearer ${token}`)
      .expect(200);
    const res = await request(app.url)
      .get(`/api/v1/members/${memberB.member.id}`)
      .set('authorization', `Bearer ${token}`)
      .expect(404);
    expect(res.body.error.code).to.equal('not_found');
  });

  it('a token naming tenant B but a member of tenant A is refused', async () => {
    const a = await createTenant(app, 'tenant-c');
    const b = await createTenant(app, 'tenant-d');
    const adminA = await createLocalUser(app, a.id, { roles: ['admin'] });
    const forged = tokenFor(app, b.id, adminA.member.id, ['admin']);
    await request(app.url).get('/api/v1/me').set('authorization', `Bearer ${forged}`).expect(401);
  });

  it('an employee cannot use admin endpoints or read colleagues', async () => {
    const t = await createTenant(app, 'tenant-e');
    const employee = await createLocalUser(app, t.id, { roles: ['employee'] });
    const colleague = await createLocalUser(app, t.id, { roles: ['employee'] });
    const token = tokenFor(app, t.id, employee.member.id, ['employee']);
    const denied = await request(app.url)
      .get('/api/v1/admin/security-policy')
      .set('authorization', `Bearer ${token}`)
      .expect(403);
    expect(denied.body.error.code).to.equal('forbidden');
    await request(app.url)
      .get(`/api/v1/members/${colleague.member.id}`)
      .set('authorization', `Bearer ${token}`)
      .expect(403);
  });

  it("an admin's policy change does not leak into another tenant", async () => {
    const a = await createTenant(app, 'tenant-f');
    const b = await createTenant(app, 'tenant-g');
    const adminA = await createLocalUser(app, a.id);
    const adminB = await createLocalUser(app, b.id);
    await request(app.url)
      .put('/api/v1/admin/security-policy')
      .set('authorization', `Bearer ${tokenFor(app, a.id, adminA.member.id, ['admin'])}`)
      .send({ requireTotp: true, lockoutMaxFailures: 5, lockoutWindowMinutes: 5, lockoutMinutes: 60 })
      .expect(200);
    const other = await request(app.url)
      .get('/api/v1/admin/security-policy')
      .set('authorization', `Bearer ${tokenFor(app, b.id, adminB.member.id, ['admin'])}`)
      .expect(200);
    expect(other.body).to.deep.equal({
      requireTotp: false,
      lockoutMaxFailures: 10,
      lockoutWindowMinutes: 10,
      lockoutMinutes: 30,
    });
  });
});
