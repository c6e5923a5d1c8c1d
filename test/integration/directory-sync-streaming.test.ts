import { expect } from 'chai';
import type { DirectoryProvider } from '../../server/modules/directory';
import { DirectorySyncService } from '../../server/modules/directory/directory-sync.service';
import { SyncApplier } from '../../server/modules/directory/sync-applier';
import { systemClock } from '../../server/platform/clock';
import { createLogger } from '../../server/platform/logger';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createTenant } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * A full sync applies newcomers and changes while the listing still arrives. These pin down what
 * that must never change: a run that fails part-way leaves a coherent directory and the next run
 * finishes; a held run has done nothing destructive; addresses do not depend on arrival order.
 */
describe('directory sync: streaming apply', function () {
  this.timeout(90_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let tenantId: string;

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'streamco')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 1500,
      depth: 3,
      seed: 11,
    });
    // Changes reach us through the full syncs below only.
    emulator.setCallback(undefined);
  });
  after(async () => {
    await emulator.close();
    await app.close();
  });

  /** The same engine over the real client, with user/list failing once `after` people were handed over. */
  function failingSync(after: number): DirectorySyncService {
    const s = app.services;
    return new DirectorySyncService({
      ds: app.ds,
      providerFor: async (id) => {
        const real = (await s.dingtalk.app(id))!.directory;
        let seen = 0;
        const provider: DirectoryProvider = {
          callCount: () => real.callCount(),
          fetchMembers: (ids) => real.fetchMembers(ids),
          fetchDepartments: (ids) => real.fetchDepartments(ids),
          fetchAll: (onProgress, onMembers) =>
            real.fetchAll(onProgress, (fresh) => {
              onMembers?.(fresh);
              seen += fresh.length;
              if (seen >= after) {
                emulator.failNext('/topapi/v2/user/list', 10_000, {
                  body: { errcode: 40035, errmsg: '参数非法' },
                });
              }
            }),
        };
        return provider;
      },
      applier: new SyncApplier(app.ds, s.mailboxes, s.audit),
      settings: s.settings,
      audit: s.audit,
      jobRuns: s.jobRuns,
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
    });
  }

  async function count(sql: string, params: unknown[] = [tenantId]): Promise<number> {
    const [{ n }] = await app.ds.query(sql, params);
    return n;
  }

  async function lastRun() {
    const [run] = await app.ds.query(
      `SELECT status, error FROM job_runs WHERE tenant_id = $1 AND job = 'directory.sync' ORDER BY started_at DESC LIMIT 1`,
      [tenantId],
    );
    return run;
  }

  it('a first sync that fails part-way writes no newcomer at all; the next run provisions everyone once', async () => {
    const users = emulator.org.snapshot().users.length;
    const err = await failingSync(150)
      .fullSync(tenantId, { trigger: 'manual' })
      .then(
        () => null,
        (e: Error) => e,
      );
    emulator.clearFaults();
    expect(err, 'the run fails').to.be.instanceOf(Error);
    expect((await lastRun()).status).to.equal('failed');
    expect(
      await count(`SELECT count(*)::int AS n FROM members WHERE tenant_id = $1 AND source = 'dingtalk'`),
    ).to.equal(0);
    expect(await count(`SELECT count(*)::int AS n FROM mailboxes WHERE tenant_id = $1`)).to.equal(0);
    expect(
      await count(`SELECT count(*)::int AS n FROM addresses WHERE tenant_id = $1 AND kind = 'mailbox'`),
    ).to.equal(0);
    expect(
      await count(
        `SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1 AND action = 'directory.member_created'`,
      ),
    ).to.equal(0);

    const outcome = await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    expect(outcome.status).to.equal('applied');
    expect(outcome.counts.membersCreated).to.equal(users);
    const rows: { email: string; local_part: string; addresses: string[] }[] = await app.ds.query(
      `SELECT m.email, b.local_part,
              array(SELECT a.local_part FROM addresses a WHERE a.tenant_id = b.tenant_id AND a.mailbox_id = b.id) AS addresses
         FROM members m JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 AND m.source = 'dingtalk'`,
      [tenantId],
    );
    expect(rows).to.have.length(users);
    for (const r of rows) {
      expect(r.addresses).to.deep.equal([r.local_part]);
      expect(r.email.split('@')[0]).to.equal(r.local_part);
    }
    // Every creation audited once, naming the address the person really got.
    const audited: { address: string; local_part: string }[] = await app.ds.query(
      `SELECT a.details->>'address' AS address, b.local_part
         FROM audit_log a JOIN mailboxes b ON b.tenant_id = a.tenant_id AND b.member_id::text = a.target_id
        WHERE a.tenant_id = $1 AND a.action = 'directory.member_created'`,
      [tenantId],
    );
    expect(audited).to.have.length(users);
    for (const a of audited) expect(a.address.split('@')[0]).to.equal(a.local_part);

    const again = await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    expect(again.status).to.equal('unchanged');
  });

  it('changes streamed before a failure stay coherent; the next run finishes without repeating them', async () => {
    // Spread over the whole org, so only some are listed (and streamed) before the failure.
    const renamed = emulator.org
      .snapshot()
      .users.filter((_, i) => i % 10 === 5)
      .slice(0, 150);
    for (const u of renamed) emulator.org.updateUser(u.userid, { title: `新职位${u.userid.slice(-4)}` });
    const err = await failingSync(300)
      .fullSync(tenantId, { trigger: 'manual' })
      .then(
        () => null,
        (e: Error) => e,
      );
    emulator.clearFaults();
    expect(err).to.be.instanceOf(Error);
    const ids = renamed.map((u) => u.userid);
    const partial = await count(
      `SELECT count(*)::int AS n FROM members WHERE tenant_id = $1 AND external_id = ANY($2) AND title LIKE '新职位%'`,
      [tenantId, ids],
    );
    expect(partial, 'some changes streamed, not all').to.be.below(150);

    const outcome = await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    expect(outcome.status).to.equal('applied');
    expect(outcome.counts.membersUpdated).to.equal(150 - partial);
    expect(
      await count(
        `SELECT count(*)::int AS n FROM members WHERE tenant_id = $1 AND external_id = ANY($2) AND title LIKE '新职位%'`,
        [tenantId, ids],
      ),
    ).to.equal(150);
    // One audit entry per real change, across both runs.
    expect(
      await count(
        `SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1 AND action = 'directory.member_updated'`,
      ),
    ).to.equal(150);
  });

  it('a held run applied nothing destructive: newcomers and changes are in, departures and removals wait', async () => {
    const empty = emulator.org.createDept({ name: '临时项目组' });
    expect((await app.services.sync.fullSync(tenantId, { trigger: 'manual' })).status).to.equal('applied');

    const snapshot = emulator.org.snapshot();
    // Above the threshold: the larger of 5% of 1500 (75) and 50.
    const leaving = snapshot.users.slice(0, 100).map((u) => u.userid);
    for (const id of leaving) emulator.org.leave(id);
    emulator.org.removeDept(empty.dept_id);
    const hired = emulator.org.hire({ name: '诸葛晴', deptIds: [1] });
    const changed = snapshot.users[100].userid;
    emulator.org.updateUser(changed, { title: '首席架构师' });

    const held = await app.services.sync.fullSync(tenantId, { trigger: 'cron' });
    expect(held.status).to.equal('held');
    expect(held.counts.membersSuspended).to.equal(100);
    expect(held.counts.departmentsRemoved).to.equal(1);
    expect(
      await count(
        `SELECT count(*)::int AS n FROM members WHERE tenant_id = $1 AND external_id = ANY($2) AND status = 'active'`,
        [tenantId, leaving],
      ),
    ).to.equal(100);
    expect(
      await count(`SELECT count(*)::int AS n FROM departments WHERE tenant_id = $1 AND external_id = $2`, [
        tenantId,
        String(empty.dept_id),
      ]),
    ).to.equal(1);
    expect(
      await count(
        `SELECT count(*)::int AS n FROM mail_groups WHERE tenant_id = $1 AND department_external_id = $2`,
        [tenantId, String(empty.dept_id)],
      ),
    ).to.equal(1);
    const [m] = await app.ds.query(`SELECT title FROM members WHERE tenant_id = $1 AND external_id = $2`, [
      tenantId,
      changed,
    ]);
    expect(m.title).to.equal('首席架构师');
    const [newcomer] = await app.ds.query(
      `SELECT m.status, b.status AS mailbox_status FROM members m JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 AND m.external_id = $2`,
      [tenantId, hired.userid],
    );
    expect(newcomer).to.deep.equal({ status: 'active', mailbox_status: 'active' });

    const confirmed = await app.services.sync.confirmHeld(tenantId, held.runId, null);
    expect(confirmed.status).to.equal('applied');
    expect(
      await count(
        `SELECT count(*)::int AS n FROM members WHERE tenant_id = $1 AND external_id = ANY($2) AND status = 'suspended'`,
        [tenantId, leaving],
      ),
    ).to.equal(100);
    expect(
      await count(`SELECT count(*)::int AS n FROM departments WHERE tenant_id = $1 AND external_id = $2`, [
        tenantId,
        String(empty.dept_id),
      ]),
    ).to.equal(0);
    for (const id of leaving) emulator.org.rejoin(id);
  });

  it('same-name newcomers: the earlier hire gets the lower address even when listed last', async () => {
    const deep = emulator.org
      .snapshot()
      .departments.filter((d) => d.dept_id !== 1)
      .at(-1)!;
    const earlier = emulator.org.hire({ name: '欧阳子衿', deptIds: [deep.dept_id] });
    await new Promise((r) => setTimeout(r, 20));
    // Listed first: the root's members are the very first page.
    const later = emulator.org.hire({ name: '欧阳子衿', deptIds: [1] });
    const outcome = await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    expect(outcome.status).to.equal('applied');
    const rows: { external_id: string; local_part: string }[] = await app.ds.query(
      `SELECT m.external_id, b.local_part FROM members m JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 AND m.external_id = ANY($2)`,
      [tenantId, [earlier.userid, later.userid]],
    );
    const suffix = (id: string) =>
      Number(/(\d*)$/.exec(rows.find((r) => r.external_id === id)!.local_part)![1] || 1);
    expect(rows).to.have.length(2);
    expect(suffix(earlier.userid)).to.be.lessThan(suffix(later.userid));
  });
});
