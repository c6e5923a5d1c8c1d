import { expect } from 'chai';
import request from 'supertest';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createLocalUser, createTenant, tokenFor } from '../support/fixtures';
import { waitFor } from '../support/process';
import { startTestApp, type TestApp } from '../support/test-app';

async function memberByExternalId(app: TestApp, tenantId: string, externalId: string) {
  const [row] = await app.ds.query(
    `SELECT m.*, mb.status AS mailbox_status, mb.local_part, mb.purge_after, mb.id AS mailbox_id
       FROM members m LEFT JOIN mailboxes mb ON mb.tenant_id = m.tenant_id AND mb.member_id = m.id
      WHERE m.tenant_id = $1 AND m.external_id = $2`,
    [tenantId, externalId],
  );
  return row;
}

describe('directory sync against the DingTalk emulator', function () {
  this.timeout(60_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let tenantId: string;
  let adminToken: string;

  before(async () => {
    app = await startTestApp();
    const tenant = await createTenant(app, 'syncco');
    tenantId = tenant.id;
    const admin = await createLocalUser(app, tenantId, { roles: ['admin'] });
    adminToken = tokenFor(app, tenantId, admin.member.id, ['admin']);
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 300,
      depth: 4,
      seed: 7,
      retryDelaysMs: [200, 400],
    });
    app.services.directoryEvents.start(200);
  });

  /** Tests that drive the sync by hand switch pushes off; this puts them back. */
  async function restoreCallback() {
    const bound = (await app.services.dingtalk.app(tenantId))!;
    emulator.setCallback({
      url: `${app.url}/api/v1/dingtalk/callback/${tenantId}`,
      token: bound.secrets.callbackToken!,
      aesKey: bound.secrets.callbackAesKey!,
      ownerKey: bound.settings.appKey,
      retryDelaysMs: [200, 400],
    });
  }
  after(async () => {
    await app.services.directoryEvents.stop();
    await emulator.close();
    await app.close();
  });

  it('a dry run plans everything and applies nothing', async () => {
    const started = await request(app.url)
      .post('/api/v1/admin/directory/sync')
      .set('authorization', `Bearer ${adminToken}`)
      .send({ dryRun: true })
      .expect(202);
    await waitFor(
      async () => (await app.services.jobRuns.get(tenantId, started.body.runId))?.status !== 'running',
      30_000,
      'dry run',
    );
    const run = await request(app.url)
      .get(`/api/v1/admin/directory/sync/runs/${started.body.runId}`)
      .set('authorization', `Bearer ${adminToken}`)
      .expect(200);
    expect(run.body.outcome).to.equal('dry_run');
    expect(run.body.counts.membersCreated).to.equal(emulator.org.snapshot().users.length);
    expect(run.body.changes.filter((c: { kind: string }) => c.kind === 'member_create')).to.have.length(
      run.body.counts.membersCreated,
    );
    const [{ count }] = await app.ds.query(
      `SELECT count(*)::int AS count FROM members WHERE tenant_id = $1 AND source = 'dingtalk'`,
      [tenantId],
    );
    expect(count).to.equal(0);
  });

  it('a full sync provisions every member, mailbox and department group; a second sync writes nothing', async () => {
    const snapshot = emulator.org.snapshot();
    const outcome = await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    expect(outcome.status).to.equal('applied');
    expect(outcome.counts.membersCreated).to.equal(snapshot.users.length);
    expect(outcome.counts.departmentsCreated).to.equal(snapshot.departments.length);
    // departments + Σ⌈members/100⌉ (at least one page per department) + root detail + token
    const pages = snapshot.departments.reduce((sum, d) => {
      const direct = snapshot.users.filter((u) => u.dept_id_list.includes(d.dept_id)).length;
      return sum + Math.max(1, Math.ceil(direct / 100));
    }, 0);
    expect(outcome.apiCalls).to.be.at.most(snapshot.departments.length + pages + 2);

    const [counts] = await app.ds.query(
      `SELECT (SELECT count(*)::int FROM members WHERE tenant_id = $1 AND source = 'dingtalk' AND status = 'active') AS members,
              (SELECT count(*)::int FROM mailboxes WHERE tenant_id = $1 AND status = 'active') AS mailboxes,
              (SELECT count(*)::int FROM mail_groups WHERE tenant_id = $1) AS groups,
              (SELECT count(DISTINCT local_part)::int FROM addresses WHERE tenant_id = $1) AS addresses,
              (SELECT count(*)::int FROM addresses WHERE tenant_id = $1) AS address_rows,
              (SELECT count(*)::int FROM members WHERE tenant_id = $1 AND source = 'dingtalk' AND email IS NULL) AS without_email,
              (SELECT count(*)::int FROM audit_log WHERE tenant_id = $1 AND action = 'directory.member_created') AS audited`,
      [tenantId],
    );
    expect(counts).to.deep.equal({
      members: snapshot.users.length,
      mailboxes: snapshot.users.length,
      groups: snapshot.departments.length,
      addresses: snapshot.users.length + snapshot.departments.length,
      address_rows: snapshot.users.length + snapshot.departments.length,
      without_email: 0,
      audited: snapshot.users.length,
    });
    // Multi-department people are in all their departments; paths lead from the root.
    const multi = snapshot.users.find((u) => u.dept_id_list.length > 1);
    if (multi) {
      const row = await memberByExternalId(app, tenantId, multi.userid);
      expect(row.department_ids.map(Number).sort()).to.deep.equal([...multi.dept_id_list].sort());
    }
    const [deep] = await app.ds.query(
      `SELECT max(cardinality(path))::int AS depth FROM departments WHERE tenant_id = $1`,
      [tenantId],
    );
    expect(deep.depth).to.be.at.least(3);

    const before = await app.ds.query(
      `SELECT sum(xmin::text::bigint) AS x FROM members WHERE tenant_id = $1`,
      [tenantId],
    );
    const again = await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    expect(again.status).to.equal('unchanged');
    const after = await app.ds.query(
      `SELECT sum(xmin::text::bigint) AS x FROM members WHERE tenant_id = $1`,
      [tenantId],
    );
    expect(after[0].x).to.equal(before[0].x);
  });

  it('a department group reaches its members and every sub-department, following moves', async () => {
    const snapshot = emulator.org.snapshot();
    const auth = { authorization: `Bearer ${adminToken}` };
    const list = await request(app.url).get('/api/v1/admin/groups').set(auth).expect(200);
    const byDept = new Map(
      list.body.groups.map((g: { departmentExternalId: string }) => [g.departmentExternalId, g]),
    );
    const root = byDept.get('1') as { id: string; memberCount: number; address: string };
    expect(root.memberCount).to.equal(snapshot.users.length);
    expect(root.address).to.match(/@syncco\.test$/);

    // A second-level department with children: its group reaches the whole subtree.
    const parent = snapshot.departments.find(
      (d) => d.parent_id === 1 && snapshot.departments.some((c) => c.parent_id === d.dept_id),
    )!;
    const subtree = new Set<number>([parent.dept_id]);
    for (let grew = true; grew;) {
      grew = false;
      for (const d of snapshot.departments) {
        if (d.parent_id !== undefined && subtree.has(d.parent_id) && !subtree.has(d.dept_id)) {
          subtree.add(d.dept_id);
          grew = true;
        }
      }
    }
    const expected = snapshot.users
      .filter((u) => u.dept_id_list.some((id) => subtree.has(id)))
      .map((u) => u.userid);
    const group = byDept.get(String(parent.dept_id)) as { id: string; memberCount: number };
    expect(group.memberCount).to.equal(expected.length);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await request(app.url)
        .get(`/api/v1/admin/groups/${group.id}/members`)
        .query({ limit: 7, ...(cursor ? { cursor } : {}) })
        .set(auth)
        .expect(200);
      seen.push(...page.body.members.map((m: { externalId: string }) => m.externalId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.sort()).to.deep.equal([...expected].sort());

    const mover = snapshot.users.find((u) => u.dept_id_list.every((id) => subtree.has(id)))!;
    const elsewhere = snapshot.departments.find((d) => d.dept_id !== 1 && !subtree.has(d.dept_id))!;
    await app.services.directoryEvents.idle();
    emulator.setCallback(undefined);
    emulator.org.moveUser(mover.userid, [elsewhere.dept_id]);
    await app.services.sync.syncIds(tenantId, { memberIds: [mover.userid], departmentIds: [] }, 'test');
    const after = await app.services.groups.expand(app.ds.manager, tenantId, group.id);
    expect(after.map((m) => m.external_id)).to.not.include(mover.userid);
    expect(after).to.have.length(expected.length - 1);
    emulator.org.moveUser(mover.userid, mover.dept_id_list);
    await app.services.sync.syncIds(tenantId, { memberIds: [mover.userid], departmentIds: [] }, 'test');
    await restoreCallback();
  });

  it('two 张伟 get zhangwei and zhangwei2; polyphonic surnames use surname readings', async () => {
    const a = emulator.org.hire({ name: '张伟', deptIds: [1] });
    const b = emulator.org.hire({ name: '张伟', deptIds: [1] });
    const c = emulator.org.hire({ name: '单田芳', deptIds: [1] });
    await waitFor(
      async () => (await memberByExternalId(app, tenantId, c.userid))?.local_part !== undefined,
      10_000,
      'hires',
    );
    await waitFor(
      async () => (await memberByExternalId(app, tenantId, b.userid)) !== undefined,
      10_000,
      'hires',
    );
    const parts = [
      (await memberByExternalId(app, tenantId, a.userid)).local_part,
      (await memberByExternalId(app, tenantId, b.userid)).local_part,
    ];
    expect(parts.every((p: string) => /^zhangwei\d*$/.test(p))).to.equal(true);
    expect(new Set(parts).size).to.equal(2);
    expect((await memberByExternalId(app, tenantId, c.userid)).local_part).to.match(/^shantianfang\d*$/);
  });

  it('events: hire, rename, move, admin, leave and rejoin flow through the callback', async () => {
    const hired = emulator.org.hire({ name: '欧阳娜娜', deptIds: [1], title: '工程师' });
    await waitFor(
      async () => (await memberByExternalId(app, tenantId, hired.userid))?.status === 'active',
      10_000,
      'user_add_org',
    );
    const joined = await memberByExternalId(app, tenantId, hired.userid);
    expect(joined.mailbox_status).to.equal('active');
    expect(joined.email).to.match(/^ouyangnana\d*@syncco\.test$/);

    emulator.org.updateUser(hired.userid, { name: '欧阳娜娜二', title: '高级工程师' });
    await waitFor(
      async () => (await memberByExternalId(app, tenantId, hired.userid))?.title === '高级工程师',
      10_000,
      'user_modify_org',
    );
    const renamed = await memberByExternalId(app, tenantId, hired.userid);
    expect(renamed.display_name).to.equal('欧阳娜娜二');
    expect(renamed.email).to.equal(joined.email); // names change, addresses never do

    const someDept = emulator.org.snapshot().departments.find((d) => d.dept_id !== 1)!;
    emulator.org.moveUser(hired.userid, [someDept.dept_id]);
    await waitFor(
      async () =>
        (await memberByExternalId(app, tenantId, hired.userid))?.department_ids.includes(
          String(someDept.dept_id),
        ),
      10_000,
      'move',
    );

    emulator.org.setAdmin(hired.userid, 2);
    await waitFor(
      async () => (await memberByExternalId(app, tenantId, hired.userid))?.roles.includes('admin'),
      10_000,
      'org_admin_add',
    );

    emulator.org.leave(hired.userid);
    await waitFor(
      async () => (await memberByExternalId(app, tenantId, hired.userid))?.status === 'suspended',
      10_000,
      'user_leave_org',
    );
    const left = await memberByExternalId(app, tenantId, hired.userid);
    expect(left.mailbox_status).to.equal('suspended');
    const days = (new Date(left.purge_after).getTime() - Date.now()) / 86_400_000;
    expect(days).to.be.within(29, 31);

    emulator.org.rejoin(hired.userid, [1]);
    await waitFor(
      async () => (await memberByExternalId(app, tenantId, hired.userid))?.status === 'active',
      10_000,
      'rejoin',
    );
    const back = await memberByExternalId(app, tenantId, hired.userid);
    expect(back.mailbox_id).to.equal(joined.mailbox_id); // the same mailbox, with its mail
    expect(back.mailbox_status).to.equal('active');
    expect(back.email).to.equal(joined.email);
  });

  it('department events: create, rename (address kept), remove', async () => {
    const dept = emulator.org.createDept({ name: '量子计算实验室', parentId: 1 });
    const group = async () =>
      (
        await app.ds.query(
          `SELECT g.name, a.local_part FROM mail_groups g JOIN addresses a ON a.tenant_id = g.tenant_id AND a.group_id = g.id
            WHERE g.tenant_id = $1 AND g.department_external_id = $2`,
          [tenantId, String(dept.dept_id)],
        )
      )[0];
    await waitFor(async () => (await group()) !== undefined, 10_000, 'org_dept_create');
    expect((await group()).local_part).to.equal('liangzijisuanshiyanshi');
    emulator.org.renameDept(dept.dept_id, '量子实验室');
    await waitFor(async () => (await group())?.name === '量子实验室', 10_000, 'org_dept_modify');
    expect((await group()).local_part).to.equal('liangzijisuanshiyanshi');
    emulator.org.removeDept(dept.dept_id);
    await waitFor(async () => (await group()) === undefined, 10_000, 'org_dept_remove');
  });

  it('every event is stored durably and processed once', async () => {
    const rows = await app.ds.query(
      `SELECT event_type, status, count(*)::int AS n FROM directory_events WHERE tenant_id = $1 GROUP BY 1, 2`,
      [tenantId],
    );
    const types = new Set(rows.map((r: { event_type: string }) => r.event_type));
    for (const t of [
      'user_add_org',
      'user_modify_org',
      'user_leave_org',
      'org_admin_add',
      'org_dept_create',
      'org_dept_modify',
      'org_dept_remove',
    ]) {
      expect(types, t).to.include(t);
    }
    expect(
      rows.filter((r: { status: string }) => r.status === 'pending' || r.status === 'failed'),
    ).to.deep.equal([]);
  });

  it('token expiry in the middle of a sync and rate-limit answers are absorbed', async () => {
    emulator.expireAllTokens();
    emulator.failNext('/topapi/v2/user/list', 3, { body: { errcode: 90018, errmsg: '请求被限流' } });
    emulator.failNext('/topapi/v2/department/listsub', 2, { body: { errcode: -1, errmsg: '系统繁忙' } });
    const outcome = await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    expect(['unchanged', 'applied']).to.include(outcome.status);
  });

  it('the safeguard holds a mass departure until an admin confirms it', async () => {
    const active = emulator.org.snapshot().users.slice(0, 60);
    emulator.setCallback(undefined); // departures arrive through the nightly full sync, not events
    for (const u of active) emulator.org.leave(u.userid);
    const held = await app.services.sync.fullSync(tenantId, { trigger: 'cron' });
    expect(held.status).to.equal('held');
    expect(held.counts.membersSuspended).to.equal(60);
    const [{ suspended }] = await app.ds.query(
      `SELECT count(*)::int AS suspended FROM members WHERE tenant_id = $1 AND external_id = ANY($2) AND status = 'suspended'`,
      [tenantId, active.map((u) => u.userid)],
    );
    expect(suspended).to.equal(0);

    const res = await request(app.url)
      .post(`/api/v1/admin/directory/sync/runs/${held.runId}/confirm`)
      .set('authorization', `Bearer ${adminToken}`)
      .expect(202);
    await waitFor(
      async () => (await app.services.jobRuns.get(tenantId, res.body.runId))?.status === 'succeeded',
      30_000,
      'confirmed run',
    );
    const [{ after }] = await app.ds.query(
      `SELECT count(*)::int AS after FROM members WHERE tenant_id = $1 AND external_id = ANY($2) AND status = 'suspended'`,
      [tenantId, active.map((u) => u.userid)],
    );
    expect(after).to.equal(60);
    expect((await app.services.jobRuns.get(tenantId, held.runId))?.status).to.equal('cancelled');
    for (const u of active) emulator.org.rejoin(u.userid);
  });
});
