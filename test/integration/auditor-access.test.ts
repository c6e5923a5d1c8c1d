import { expect } from 'chai';
import MailComposer from 'nodemailer/lib/mail-composer';
import request from 'supertest';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createLocalUser, createTenant, tokenFor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

interface Person {
  id: string;
  email: string;
  mailbox_id: string;
}

describe('auditor: time-boxed read access to named mailboxes, every read audited', function () {
  this.timeout(60_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let tenantId: string;
  let alice: Person;
  let bob: Person;
  let adminId: string;
  let auditorId: string;
  let messageId: string;
  let otherAdmin: string;
  const api = () => request(app.url);
  const admin = () => tokenFor(app, tenantId, adminId, ['admin']);
  const auditor = () => tokenFor(app, tenantId, auditorId, ['auditor']);
  const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'auditco')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 6,
      depth: 1,
      seed: 8,
    });
    emulator.setCallback(undefined);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    [alice, bob] = await app.ds.query(
      `SELECT m.id, m.email, b.id AS mailbox_id FROM members m
         JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 ORDER BY m.email LIMIT 2`,
      [tenantId],
    );
    adminId = (await createLocalUser(app, tenantId, { roles: ['admin'] })).member.id;
    auditorId = (await createLocalUser(app, tenantId, { roles: ['auditor'] })).member.id;
    const other = (await createTenant(app, 'otherauditco')).id;
    otherAdmin = tokenFor(app, other, (await createLocalUser(app, other)).member.id, ['admin']);
    const raw = await new MailComposer({
      from: 'partner@partner.example',
      to: alice.email,
      subject: '审计样本',
      text: '合同正文',
      attachments: [{ filename: '合同.txt', content: '条款' }],
    })
      .compile()
      .build();
    const r = await app.services.recipients.resolve(alice.email);
    if (r.kind !== 'mailbox') throw new Error('no mailbox');
    messageId = (await app.services.delivery.deliver({ tenantId, raw, targets: [r.target] })).messageIds[0]!;
  });
  after(async () => {
    await emulator.close();
    await app.close();
  });

  const audited = async () =>
    (await app.ds.query(
      `SELECT details FROM audit_log WHERE tenant_id = $1 AND action = 'mailbox.audited_read' AND actor_id = $2
        ORDER BY id`,
      [tenantId, auditorId],
    )) as { details: { what: string; id: string | null } }[];
  const grant = (body: object) =>
    api().post('/api/v1/admin/mailbox-grants').set('Authorization', `Bearer ${admin()}`).send(body);

  it('an auditor gets read access only with an end time in the future (400 otherwise); the grant is audited', async () => {
    for (const bad of [
      { access: 'read' },
      { access: 'full', expiresAt: inAnHour() },
      { access: 'read', expiresAt: new Date(Date.now() - 60_000).toISOString() },
      { access: 'read', expiresAt: 'tomorrow' },
    ]) {
      const res = await grant({ mailboxId: alice.mailbox_id, memberId: auditorId, ...bad });
      expect(res.status, JSON.stringify(bad)).to.equal(400);
    }
    const expiresAt = inAnHour();
    const res = await grant({ mailboxId: alice.mailbox_id, memberId: auditorId, access: 'read', expiresAt });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body).to.include({ access: 'read', memberId: auditorId });
    expect(Date.parse(res.body.expiresAt)).to.equal(Date.parse(expiresAt));
    const [entry] = await app.ds.query(
      `SELECT details FROM audit_log WHERE tenant_id = $1 AND action = 'mailbox_grant.create' ORDER BY id DESC LIMIT 1`,
      [tenantId],
    );
    expect(entry.details).to.include({ memberId: auditorId, access: 'read', expiresAt });
    // Only admins grant; the foreign admin cannot see it.
    const self = await api()
      .post('/api/v1/admin/mailbox-grants')
      .set('Authorization', `Bearer ${auditor()}`)
      .send({ mailboxId: bob.mailbox_id, memberId: auditorId, access: 'read', expiresAt: inAnHour() });
    expect(self.status).to.equal(403);
    const foreign = await api()
      .get('/api/v1/admin/mailbox-grants')
      .set('Authorization', `Bearer ${otherAdmin}`);
    expect(foreign.body.grants).to.deep.equal([]);
  });

  it('reads through the normal mail API, each read (folders, list, search, message, raw, attachment) audited', async () => {
    const before = (await audited()).length;
    const q = `mailboxId=${alice.mailbox_id}`;
    const as = (path: string) => api().get(path).set('Authorization', `Bearer ${auditor()}`);
    expect((await as(`/api/v1/mail/folders?${q}`)).status).to.equal(200);
    const list = await as(`/api/v1/mail/messages?${q}`);
    expect(list.status).to.equal(200);
    expect(list.body.messages.map((m: { subject: string }) => m.subject)).to.include('审计样本');
    expect((await as(`/api/v1/mail/search?${q}&q=${encodeURIComponent('合同')}`)).status).to.equal(200);
    const msg = await as(`/api/v1/mail/messages/${messageId}?${q}`);
    expect(msg.status).to.equal(200);
    expect(msg.body.is_seen ?? msg.body.seen).to.not.equal(true); // a read grant never marks mail seen
    expect((await as(`/api/v1/mail/messages/${messageId}/raw?${q}`)).status).to.equal(200);
    const att = msg.body.attachments[0];
    expect((await as(`/api/v1/mail/messages/${messageId}/attachments/${att.id}?${q}`)).status).to.equal(200);
    const entries = (await audited()).slice(before);
    expect(entries.map((e) => e.details.what)).to.deep.equal([
      'folders',
      'list',
      'search',
      'message',
      'raw',
      'attachment',
    ]);
    expect(entries[3]!.details.id).to.equal(messageId);

    // Read-only: no flags, no moves; other mailboxes are "not found".
    const write = await api()
      .patch(`/api/v1/mail/messages/${messageId}?${q}`)
      .set('Authorization', `Bearer ${auditor()}`)
      .send({ flagged: true });
    expect(write.status).to.equal(403);
    expect((await as(`/api/v1/mail/messages?mailboxId=${bob.mailbox_id}`)).status).to.equal(404);
    // The owner's own reads are not audited reads.
    const owner = tokenFor(app, tenantId, alice.id, ['employee']);
    const n = (await audited()).length;
    await api().get('/api/v1/mail/messages').set('Authorization', `Bearer ${owner}`);
    expect((await audited()).length).to.equal(n);
  });

  it('after the end time: 404 everywhere, and the mailbox is no longer listed as accessible', async () => {
    const mine = await api().get('/api/v1/mail/mailboxes').set('Authorization', `Bearer ${auditor()}`);
    expect(mine.body.mailboxes.map((m: { id: string }) => m.id)).to.include(alice.mailbox_id);
    await app.ds.query(
      `UPDATE mailbox_grants SET expires_at = now() - interval '1 second' WHERE tenant_id = $1 AND member_id = $2`,
      [tenantId, auditorId],
    );
    const q = `mailboxId=${alice.mailbox_id}`;
    for (const path of [
      `/api/v1/mail/messages?${q}`,
      `/api/v1/mail/messages/${messageId}?${q}`,
      `/api/v1/mail/folders?${q}`,
    ]) {
      const res = await api().get(path).set('Authorization', `Bearer ${auditor()}`);
      expect(res.status, path).to.equal(404);
    }
    const after = await api().get('/api/v1/mail/mailboxes').set('Authorization', `Bearer ${auditor()}`);
    expect(after.body.mailboxes.map((m: { id: string }) => m.id)).not.to.include(alice.mailbox_id);
  });
});
