import { expect } from 'chai';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createLocalUser, createTenant, tokenFor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

interface Member {
  id: string;
  displayName: string;
  email: string | null;
  externalId: string | null;
  departments: { externalId: string }[];
  mailbox: { quotaBytes: number; usedBytes: number } | null;
  signInSuspended: { reason: string | null } | null;
}

describe('admin members API (console)', function () {
  this.timeout(90_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let tenantId: string;
  let admin: string;
  let people: {
    id: string;
    external_id: string;
    display_name: string;
    name_pinyin: string;
    name_initials: string;
    email: string;
  }[];

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'membersco')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 24,
      depth: 3,
      seed: 5,
    });
    emulator.setCallback(undefined);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    const local = await createLocalUser(app, tenantId, { roles: ['admin'] });
    admin = tokenFor(app, tenantId, local.member.id, ['admin']);
    people = await app.ds.query(
      `SELECT id, external_id, display_name, name_pinyin, name_initials, email FROM members
        WHERE tenant_id = $1 AND external_id IS NOT NULL AND status = 'active' ORDER BY email`,
      [tenantId],
    );
  });
  after(async () => {
    await emulator.close();
    await app.close();
  });

  const call = async (method: string, path: string, token = admin, body?: unknown) => {
    const res = await fetch(`${app.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (res.status === 204 ? null : await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  it('pages through every member once, sorted by pinyin', async () => {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await call('GET', `/admin/members?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).to.equal(200);
      ids.push(...page.body.members.map((m: Member) => m.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(ids).size).to.equal(ids.length);
    for (const p of people) expect(ids).to.include(p.id);
  });

  it('finds people by Chinese name, pinyin, initials and address, within a department subtree', async () => {
    const someone = people.find((p) => /[\u4e00-\u9fff]/.test(p.display_name))!;
    const find = async (q: string) =>
      (await call('GET', `/admin/members?q=${encodeURIComponent(q)}&limit=200`)).body.members.map(
        (m: Member) => m.id,
      );
    expect(await find(someone.display_name.slice(-1))).to.include(someone.id);
    expect(await find(someone.name_pinyin.replace(/ /g, ''))).to.include(someone.id);
    expect(await find(someone.name_initials)).to.include(someone.id);
    expect(await find(someone.email.split('@')[0]!)).to.include(someone.id);
    expect(await find('zzzzqqq')).to.deep.equal([]);

    const all = (await call('GET', '/admin/members?department=1&limit=200')).body.members as Member[];
    expect(all.map((m) => m.id)).to.have.members(people.map((p) => p.id));
    const [sub] = await app.ds.query(
      `SELECT external_id, path FROM departments WHERE tenant_id = $1 AND cardinality(path) = 2 LIMIT 1`,
      [tenantId],
    );
    const inSub = (await call('GET', `/admin/members?department=${sub.external_id}&limit=200`)).body
      .members as Member[];
    const [{ n }] = await app.ds.query(
      `SELECT count(DISTINCT m.id)::int AS n FROM members m JOIN departments d ON d.tenant_id = m.tenant_id AND d.external_id = ANY(m.department_ids)
        WHERE m.tenant_id = $1 AND $2 = ANY(d.path) AND m.status = 'active'`,
      [tenantId, sub.external_id],
    );
    expect(inSub).to.have.length(n);
  });

  it('sets a quota (audited) and refuses nonsense', async () => {
    const p = people[0]!;
    const res = await call('PUT', `/admin/members/${p.id}/quota`, admin, { quotaBytes: 2 * 1024 ** 3 });
    expect(res.status).to.equal(200);
    expect(res.body.mailbox.quotaBytes).to.equal(2 * 1024 ** 3);
    const [audit] = await app.ds.query(
      `SELECT details FROM audit_log WHERE tenant_id = $1 AND action = 'mailbox.quota_changed' AND target_id = $2`,
      [tenantId, p.id],
    );
    expect(audit.details.after).to.equal(2 * 1024 ** 3);
    expect((await call('PUT', `/admin/members/${p.id}/quota`, admin, { quotaBytes: 5 })).status).to.equal(
      400,
    );
    expect((await call('PUT', `/admin/members/${p.id}/quota`, admin, { quotaBytes: '1GB' })).status).to.equal(
      400,
    );
  });

  it('suspends sign-in: tokens and DingTalk sign-in refused, a sync does not undo it, restore brings it back', async () => {
    const p = people[1]!;
    const own = tokenFor(app, tenantId, p.id, ['employee']);
    expect((await call('GET', '/me', own)).status).to.equal(200);

    const suspended = await call('POST', `/admin/members/${p.id}/suspend-signin`, admin, {
      reason: '手机丢失',
    });
    expect(suspended.status).to.equal(200);
    expect(suspended.body.signInSuspended.reason).to.equal('手机丢失');
    const refused = await call('GET', '/me', own);
    expect(refused.status).to.equal(401);
    expect(refused.body.error.code).to.equal('auth.account_suspended');
    const dingtalk = await fetch(`${app.url}/api/v1/auth/dingtalk`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ corpId: emulator.corpId, code: emulator.issueAuthCode(p.external_id) }),
    });
    expect(dingtalk.status).to.equal(401);

    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    expect((await call('GET', '/me', own)).status, 'still suspended after a sync').to.equal(401);
    expect((await call('POST', `/admin/members/${p.id}/suspend-signin`, admin, {})).status).to.equal(409);

    expect((await call('POST', `/admin/members/${p.id}/restore-signin`)).status).to.equal(200);
    expect((await call('GET', '/me', own)).status).to.equal(200);
    expect((await call('POST', `/admin/members/${p.id}/restore-signin`)).status).to.equal(409);
    const actions: { action: string }[] = await app.ds.query(
      `SELECT action FROM audit_log WHERE tenant_id = $1 AND target_id = $2 AND action LIKE 'member.signin_%' ORDER BY id`,
      [tenantId, p.id],
    );
    expect(actions.map((a) => a.action)).to.deep.equal(['member.signin_suspended', 'member.signin_restored']);
  });

  it('auditors read only; employees and other organizations are refused; bad ids are 400', async () => {
    const p = people[2]!;
    const auditor = await createLocalUser(app, tenantId, { roles: ['auditor'] });
    const auditorToken = tokenFor(app, tenantId, auditor.member.id, ['auditor']);
    expect((await call('GET', `/admin/members/${p.id}`, auditorToken)).status).to.equal(200);
    expect((await call('POST', `/admin/members/${p.id}/suspend-signin`, auditorToken, {})).status).to.equal(
      403,
    );
    const employee = tokenFor(app, tenantId, p.id, ['employee']);
    expect((await call('GET', '/admin/members', employee)).status).to.equal(403);

    const other = await createTenant(app, 'membersother');
    const stranger = await createLocalUser(app, other.id, { roles: ['admin'] });
    const strangerToken = tokenFor(app, other.id, stranger.member.id, ['admin']);
    expect((await call('GET', `/admin/members/${p.id}`, strangerToken)).status).to.equal(404);
    expect(
      (await call('PUT', `/admin/members/${p.id}/quota`, strangerToken, { quotaBytes: 1024 ** 3 })).status,
    ).to.equal(404);
    expect((await call('POST', `/admin/members/${p.id}/suspend-signin`, strangerToken, {})).status).to.equal(
      404,
    );
    const list = await call('GET', '/admin/members?limit=200', strangerToken);
    expect(list.body.members.map((m: Member) => m.id)).to.not.include(p.id);

    expect((await call('GET', '/admin/members/nope')).status).to.equal(400);
    expect((await call('GET', '/admin/members?cursor=garbage')).status).to.equal(400);
    const self = await call('GET', '/me');
    expect((await call('POST', `/admin/members/${self.body.id}/suspend-signin`, admin, {})).status).to.equal(
      400,
    );
  });
});
