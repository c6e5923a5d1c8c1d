import { expect } from 'chai';
import { createLocalUser, createTenant, tokenFor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

describe('audit log API (console)', function () {
  this.timeout(60_000);
  let app: TestApp;
  let tenantId: string;
  let token: string;
  let adminId: string;

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'auditco')).id;
    const admin = await createLocalUser(app, tenantId, { roles: ['admin'], displayName: '王管理' });
    adminId = admin.member.id;
    token = tokenFor(app, tenantId, adminId, ['admin']);
    await app.ds.transaction((em) =>
      app.services.audit.recordMany(
        em,
        Array.from({ length: 230 }, (_, i) => ({
          tenantId,
          actorType: i % 2 === 0 ? ('member' as const) : ('sync' as const),
          actorId: i % 2 === 0 ? adminId : null,
          action: i % 3 === 0 ? 'mailbox.suspended' : 'member.updated',
          targetType: 'member',
          targetId: `m${i}`,
          details: { index: i, name: '张三,"引号"' },
        })),
      ),
    );
  });
  after(() => app.close());

  const get = (path: string, t = token) =>
    fetch(`${app.url}/api/v1${path}`, { headers: { authorization: `Bearer ${t}` } });

  it('pages newest first without gaps and filters by action, prefix, actor and target', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (await (
        await get(`/admin/audit?limit=100${cursor ? `&cursor=${cursor}` : ''}`)
      ).json()) as {
        entries: { id: string; targetId: string }[];
        nextCursor: string | null;
      };
      seen.push(...page.entries.map((e) => e.targetId));
      cursor = page.nextCursor;
    } while (cursor);
    const ours = seen.filter((t) => /^m\d+$/.test(t));
    expect(ours).to.have.length(230);
    expect(ours[0]).to.equal('m229');
    expect(new Set(ours).size).to.equal(230);

    const exact = (await (await get('/admin/audit?action=mailbox.suspended&limit=500')).json()) as {
      entries: { action: string; actorName: string | null }[];
    };
    expect(exact.entries).to.have.length(77);
    const prefix = (await (await get('/admin/audit?action=mailbox.&limit=500')).json()) as {
      entries: unknown[];
    };
    expect(prefix.entries.length).to.be.at.least(77);
    const byActor = (await (await get(`/admin/audit?actorId=${adminId}&limit=500`)).json()) as {
      entries: { actorName: string }[];
    };
    expect(byActor.entries).to.have.length(115);
    expect(byActor.entries[0]!.actorName).to.equal('王管理');
    const one = (await (await get('/admin/audit?targetType=member&targetId=m7')).json()) as {
      entries: unknown[];
    };
    expect(one.entries).to.have.length(1);
    const future = (await (await get('/admin/audit?from=2099-01-01T00:00:00Z')).json()) as {
      entries: unknown[];
    };
    expect(future.entries).to.have.length(0);
  });

  it('exports the filtered log as CSV that Excel opens (BOM, quoted fields, Chinese)', async () => {
    const res = await get('/admin/audit/export?action=mailbox.suspended');
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/csv/);
    expect(res.headers.get('content-disposition')).to.match(/filename\*=UTF-8''/);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8').trim();
    const lines = text.split('\n');
    expect(lines[0]).to.match(/^time,actor_type,actor,/);
    expect(lines).to.have.length(78);
    expect(text).to.include('王管理');
    expect(text, 'JSON details quoted for CSV').to.include('""name"":""张三,');
  });

  it('refuses bad filters (400), employees (403) and shows another organization nothing', async () => {
    for (const q of [
      'cursor=abc',
      'limit=0',
      'limit=501',
      'from=yesterday',
      'from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z',
    ]) {
      const res = await get(`/admin/audit?${q}`);
      expect(res.status, q).to.equal(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('validation_failed');
    }
    const employee = await createLocalUser(app, tenantId, { roles: ['employee'] });
    expect(
      (await get('/admin/audit', tokenFor(app, tenantId, employee.member.id, ['employee']))).status,
    ).to.equal(403);
    const auditor = await createLocalUser(app, tenantId, { roles: ['auditor'] });
    expect(
      (await get('/admin/audit', tokenFor(app, tenantId, auditor.member.id, ['auditor']))).status,
    ).to.equal(200);

    const other = await createTenant(app, 'auditother');
    const stranger = await createLocalUser(app, other.id, { roles: ['admin'] });
    const theirs = (await (
      await get('/admin/audit?limit=500', tokenFor(app, other.id, stranger.member.id, ['admin']))
    ).json()) as { entries: { targetId: string }[] };
    expect(theirs.entries.some((e) => /^m\d+$/.test(e.targetId))).to.equal(false);
  });
});
