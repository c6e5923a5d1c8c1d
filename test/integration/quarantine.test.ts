import { expect } from 'chai';
import request from 'supertest';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createLocalUser, createTenant, tokenFor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

interface Person {
  email: string;
  mailbox_id: string;
}

describe('quarantine review: list spam put in Junk, release to the Inbox, delete', function () {
  this.timeout(60_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let tenantId: string;
  let alice: Person;
  let bob: Person;
  let admin: string;
  let auditor: string;
  let otherAdmin: string;
  const api = () => request(app.url);

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'quarantineco')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 5,
      depth: 1,
      seed: 17,
    });
    emulator.setCallback(undefined);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    [alice, bob] = await app.ds.query(
      `SELECT m.email, b.id AS mailbox_id FROM members m
         JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 ORDER BY m.email LIMIT 2`,
      [tenantId],
    );
    admin = tokenFor(app, tenantId, (await createLocalUser(app, tenantId)).member.id, ['admin']);
    auditor = tokenFor(
      app,
      tenantId,
      (await createLocalUser(app, tenantId, { roles: ['auditor'] })).member.id,
      ['auditor'],
    );
    const other = (await createTenant(app, 'otherquarantineco')).id;
    otherAdmin = tokenFor(app, other, (await createLocalUser(app, other)).member.id, ['admin']);
    for (const [to, subject] of [
      [alice, '恭喜中奖'],
      [bob, '发票代开'],
      [alice, '正常邮件被误判'],
    ] as const) {
      const r = await app.services.recipients.resolve(to.email);
      if (r.kind !== 'mailbox') throw new Error('no mailbox');
      await app.services.delivery.deliver({
        tenantId,
        raw: Buffer.from(
          `From: promo@spam.example\r\nTo: ${to.email}\r\nSubject: ${subject}\r\n\r\n点击领取\r\n`,
        ),
        targets: [r.target],
        verdict: { spam: true, score: 9, reasons: ['score'] },
      } as Parameters<typeof app.services.delivery.deliver>[0]);
    }
  });
  after(async () => {
    await emulator.close();
    await app.close();
  });

  const list = (token: string, q = '') =>
    api().get(`/api/v1/admin/quarantine${q}`).set('Authorization', `Bearer ${token}`);

  it('lists the Junk of every mailbox, newest first, filtered by recipient; auditors read; other tenants see none', async () => {
    const all = await list(auditor);
    expect(all.status).to.equal(200);
    expect(all.body.items.map((i: { subject: string }) => i.subject)).to.have.members([
      '恭喜中奖',
      '发票代开',
      '正常邮件被误判',
    ]);
    const onlyAlice = await list(admin, `?recipient=${encodeURIComponent(alice.email.split('@')[0]!)}`);
    expect(onlyAlice.body.items.every((i: { recipient: string }) => i.recipient === alice.email)).to.equal(
      true,
    );
    expect(onlyAlice.body.items).to.have.length(2);
    expect((await list(otherAdmin)).body.items).to.deep.equal([]);
    expect((await list(admin, '?limit=0')).status).to.equal(400);
  });

  it('releases a message to the Inbox (audited); auditors and other tenants cannot; a second release is 404', async () => {
    const item = (await list(admin)).body.items.find(
      (i: { subject: string }) => i.subject === '正常邮件被误判',
    );
    const path = `/api/v1/admin/quarantine/${item.id}/release`;
    expect((await api().post(path).set('Authorization', `Bearer ${auditor}`)).status).to.equal(403);
    expect((await api().post(path).set('Authorization', `Bearer ${otherAdmin}`)).status).to.equal(404);
    const res = await api().post(path).set('Authorization', `Bearer ${admin}`);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.deep.equal({ id: item.id, mailboxId: alice.mailbox_id, folder: 'inbox' });
    const [row] = await app.ds.query(
      `SELECT f.role FROM messages m JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id
        WHERE m.tenant_id = $1 AND m.id = $2`,
      [tenantId, item.id],
    );
    expect(row.role).to.equal('inbox');
    expect((await api().post(path).set('Authorization', `Bearer ${admin}`)).status).to.equal(404);
    const [entry] = await app.ds.query(
      `SELECT details FROM audit_log WHERE tenant_id = $1 AND action = 'quarantine.released'`,
      [tenantId],
    );
    expect(entry.details.subject).to.equal('正常邮件被误判');
  });

  it('deletes a message for good (audited) and the mailbox usage shrinks', async () => {
    const item = (await list(admin)).body.items.find((i: { subject: string }) => i.subject === '发票代开');
    const [before] = await app.ds.query(`SELECT used_bytes FROM mailboxes WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      bob.mailbox_id,
    ]);
    const res = await api()
      .delete(`/api/v1/admin/quarantine/${item.id}`)
      .set('Authorization', `Bearer ${admin}`);
    expect(res.status).to.equal(204);
    const [after] = await app.ds.query(`SELECT used_bytes FROM mailboxes WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      bob.mailbox_id,
    ]);
    expect(Number(after.used_bytes)).to.equal(Number(before.used_bytes) - item.size);
    expect((await list(admin)).body.items.map((i: { id: string }) => i.id)).not.to.include(item.id);
    const [{ n }] = await app.ds.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1 AND action = 'quarantine.deleted'`,
      [tenantId],
    );
    expect(n).to.equal(1);
  });
});
