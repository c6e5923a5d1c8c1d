import { expect } from 'chai';
import request from 'supertest';
import { createLocalUser, createTenant, tokenFor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

/** The department tree at the size of a large company, and the directory event detail (payload view). */
describe('groups admin: the tree at scale, directory event detail', function () {
  this.timeout(90_000);
  let app: TestApp;
  let tenantId: string;
  let auditorToken: string;
  let adminToken: string;
  let foreignToken: string;

  const call = (method: 'get', p: string, token = adminToken) =>
    request(app.url)[method](`/api/v1${p}`).set('authorization', `Bearer ${token}`);

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'treeco')).id;
    const admin = await createLocalUser(app, tenantId, { roles: ['admin'] });
    const auditor = await createLocalUser(app, tenantId, { roles: ['auditor'] });
    adminToken = tokenFor(app, tenantId, admin.member.id, ['admin']);
    auditorToken = tokenFor(app, tenantId, auditor.member.id, ['auditor']);
    const other = (await createTenant(app, 'othertree')).id;
    const otherAdmin = await createLocalUser(app, other, { roles: ['admin'] });
    foreignToken = tokenFor(app, other, otherAdmin.member.id, ['admin']);
  });
  after(async () => {
    await app?.close();
  });

  it('the tree at 1,500 departments (deep and wide): one answer, counts right', async () => {
    const big = (await createTenant(app, 'bigtree')).id;
    const bigAdmin = await createLocalUser(app, big, { roles: ['admin'] });
    const token = tokenFor(app, big, bigAdmin.member.id, ['admin']);
    // A root, 30 divisions of 39 teams each (1,170), and a 299-deep chain under division 0.
    await app.ds.query(
      `INSERT INTO departments (tenant_id, external_id, parent_external_id, name, path)
       SELECT $1::uuid, 'root', NULL, '集团', ARRAY['root']
       UNION ALL SELECT $1, 'd' || i, 'root', '事业部 ' || i, ARRAY['root', 'd' || i] FROM generate_series(0, 29) i
       UNION ALL SELECT $1, 't' || i || '.' || j, 'd' || i, '小组 ' || i || '.' || j, ARRAY['root', 'd' || i, 't' || i || '.' || j]
                   FROM generate_series(0, 29) i, generate_series(0, 38) j
       UNION ALL SELECT $1, 'c' || k, CASE WHEN k = 1 THEN 'd0' ELSE 'c' || (k - 1) END, '层级 ' || k,
                        ARRAY['root', 'd0'] || ARRAY(SELECT 'c' || x FROM generate_series(1, k) x)
                   FROM generate_series(1, 299) k`,
      [big],
    );
    // 3,000 people: one per team (some twice), plus one at the bottom of the chain.
    await app.ds.query(
      `INSERT INTO members (tenant_id, display_name, department_ids)
       SELECT $1::uuid, '员工' || n, ARRAY['t' || (n % 30) || '.' || (n % 39)] FROM generate_series(1, 2999) n
       UNION ALL SELECT $1, '最深的人', ARRAY['c299']`,
      [big],
    );
    const started = Date.now();
    const res = await request(app.url)
      .get('/api/v1/admin/departments')
      .set('authorization', `Bearer ${token}`)
      .expect(200);
    const ms = Date.now() - started;
    const nodes: { id: string; totalMembers: number; directMembers: number }[] = res.body.departments;
    expect(nodes).to.have.length(1 + 30 + 30 * 39 + 299);
    const byId = new Map(nodes.map((n) => [n.id, n]));
    expect(byId.get('root')!.totalMembers).to.equal(3000);
    expect(byId.get('d0')!.totalMembers).to.equal(99 + 1); // n = 30, 60 … 2,970, + the deepest
    expect(byId.get('c150')!.totalMembers).to.equal(1);
    expect(byId.get('c299')!.directMembers).to.equal(1);
    console.log(`      GET /admin/departments, 1,500 departments / 3,000 people: ${ms} ms`);
  });

  it('directory event detail shows the payload; other tenants get 404', async () => {
    const [{ id }] = await app.ds.query(
      `INSERT INTO directory_events (tenant_id, event_key, event_type, user_ids, payload, status, last_error)
       VALUES ($1, 'k-1', 'user_add_org', '{u1}', '{"EventType":"user_add_org","UserId":["u1"]}', 'failed', 'boom')
       RETURNING id::text`,
      [tenantId],
    );
    const res = await call('get', `/admin/directory/events/${id}`, auditorToken).expect(200);
    expect(res.body).to.include({ id, type: 'user_add_org', status: 'failed', lastError: 'boom' });
    expect(res.body.payload).to.deep.equal({ EventType: 'user_add_org', UserId: ['u1'] });
    await call('get', `/admin/directory/events/${id}`, foreignToken).expect(404);
    await call('get', `/admin/directory/events/abc`).expect(400);
  });
});
