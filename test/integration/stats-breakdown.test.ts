import { expect } from 'chai';
import MailComposer from 'nodemailer/lib/mail-composer';
import request from 'supertest';
import { lastLocalDays } from '../../server/modules/stats';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createLocalUser, createTenant, tokenFor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

interface Person {
  id: string;
  email: string;
  mailbox_id: string;
}

describe('dashboard metrics: internal vs external per day, top senders, storage by department, queue', function () {
  this.timeout(60_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let tenantId: string;
  let alice: Person;
  let bob: Person;
  let admin: string;
  let otherAdmin: string;
  const api = () => request(app.url);

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'metricsco')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 15,
      depth: 3,
      seed: 5,
    });
    emulator.setCallback(undefined);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    [alice, bob] = await app.ds.query(
      `SELECT m.id, m.email, b.id AS mailbox_id FROM members m
         JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 ORDER BY m.email LIMIT 2`,
      [tenantId],
    );
    admin = tokenFor(app, tenantId, (await createLocalUser(app, tenantId)).member.id, ['admin']);
    const other = (await createTenant(app, 'othermetricsco')).id;
    otherAdmin = tokenFor(app, other, (await createLocalUser(app, other)).member.id, ['admin']);

    const send = async (from: Person, to: string[], subject: string) =>
      app.services.outgoing.submit({
        tenantId,
        mailboxId: from.mailbox_id,
        envelopeFrom: from.email,
        recipients: to,
        raw: await new MailComposer({ from: from.email, to, subject, text: '统计测试\n' }).compile().build(),
        kind: 'user',
      });
    await send(alice, [bob.email], '内部 1');
    await send(alice, [bob.email], '内部 2');
    await send(alice, [bob.email, 'buyer@partner.example'], '外部 1');
    await send(bob, ['ceo@customer.example'], '外部 2');
    const inbound = Buffer.from(
      'From: 合作伙伴 <partner@partner.example>\r\nTo: ' +
        bob.email +
        '\r\nSubject: 外来邮件\r\nMessage-ID: <in-1@partner.example>\r\n\r\n你好\r\n',
    );
    const r = await app.services.recipients.resolve(bob.email);
    if (r.kind !== 'mailbox') throw new Error('bob has no mailbox');
    await app.services.delivery.deliver({ tenantId, raw: inbound, targets: [r.target] });
    // The test clock stands still; the roll-up counts what was stored up to its "now".
    app.clock.set(new Date());
    await app.services.stats.rollUp(1, tenantId);
  });
  after(async () => {
    await emulator.close();
    await app.close();
  });

  const today = () => lastLocalDays(app.clock.now(), 'Asia/Shanghai', 1)[0]!;

  it('rolls up internal mail, external mail in and external mail out per day', async () => {
    const res = await api()
      .get(
        `/api/v1/admin/stats?from=${today()}&to=${today()}&metrics=mail.internal,mail.external_in,mail.external_out`,
      )
      .set('Authorization', `Bearer ${admin}`);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    const value = (m: string) =>
      res.body.series.find((s: { metric: string }) => s.metric === m).points[0].value as number;
    // bob received three messages from alice (internal) and one from partner.example.
    expect(value('mail.internal')).to.equal(3);
    expect(value('mail.external_in')).to.equal(1);
    // two of the four sent copies had a recipient outside.
    expect(value('mail.external_out')).to.equal(2);
  });

  it('lists top senders, storage by department and the queue by state; auditors read, employees 403', async () => {
    const res = await api()
      .get(`/api/v1/admin/stats/breakdown?from=${today()}&to=${today()}`)
      .set('Authorization', `Bearer ${admin}`);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.topSenders[0]).to.include({ address: alice.email, messages: 3, external: 1 });
    expect(res.body.topSenders[1]).to.include({ address: bob.email, messages: 1, external: 1 });
    expect(res.body.queue).to.include({ queued: 2, held: 0, failed: 0 });

    const depts = res.body.storageByDepartment as {
      externalId: string;
      usedBytes: number;
      mailboxes: number;
    }[];
    expect(depts.length).to.be.greaterThan(0);
    // Each top-level department: the sum over the mailboxes of its members, sub-departments included.
    const [first] = depts;
    const [{ used, n }] = await app.ds.query(
      `SELECT coalesce(sum(b.used_bytes), 0)::bigint AS used, count(*)::int AS n FROM mailboxes b
        WHERE b.tenant_id = $1 AND b.status <> 'purged' AND b.member_id IN (
          SELECT m.id FROM members m JOIN departments d ON d.tenant_id = m.tenant_id AND d.external_id = ANY(m.department_ids)
           WHERE m.tenant_id = $1 AND $2 = ANY(d.path))`,
      [tenantId, first!.externalId],
    );
    expect(first).to.include({ usedBytes: Number(used), mailboxes: n });
    const sorted = [...depts].sort((a, b) => b.usedBytes - a.usedBytes);
    expect(depts.map((d) => d.usedBytes)).to.deep.equal(sorted.map((d) => d.usedBytes));

    const drill = await api()
      .get(`/api/v1/admin/stats/breakdown?from=${today()}&to=${today()}&department=${first!.externalId}`)
      .set('Authorization', `Bearer ${admin}`);
    expect(drill.status).to.equal(200);
    for (const d of drill.body.storageByDepartment) expect(d.usedBytes).to.be.at.most(first!.usedBytes);

    const auditorId = (await createLocalUser(app, tenantId, { roles: ['auditor'] })).member.id;
    const auditor = tokenFor(app, tenantId, auditorId, ['auditor']);
    expect(
      (
        await api()
          .get(`/api/v1/admin/stats/breakdown?from=${today()}&to=${today()}`)
          .set('Authorization', `Bearer ${auditor}`)
      ).status,
    ).to.equal(200);
    const employee = tokenFor(app, tenantId, alice.id, ['employee']);
    expect(
      (
        await api()
          .get(`/api/v1/admin/stats/breakdown?from=${today()}&to=${today()}`)
          .set('Authorization', `Bearer ${employee}`)
      ).status,
    ).to.equal(403);
  });

  it('another organization sees none of this; bad ranges are a 400', async () => {
    const res = await api()
      .get(`/api/v1/admin/stats/breakdown?from=${today()}&to=${today()}`)
      .set('Authorization', `Bearer ${otherAdmin}`);
    expect(res.status).to.equal(200);
    expect(res.body.topSenders).to.deep.equal([]);
    expect(res.body.queue).to.include({ queued: 0, sent: 0 });
    for (const q of [
      'from=2026-02-01&to=2026-01-01',
      'from=2020-01-01&to=2026-01-01',
      'from=x&to=y',
      'from=2026-01-01&to=2026-01-02&limit=0',
    ]) {
      const bad = await api()
        .get(`/api/v1/admin/stats/breakdown?${q}`)
        .set('Authorization', `Bearer ${admin}`);
      expect(bad.status, q).to.equal(400);
    }
  });
});
