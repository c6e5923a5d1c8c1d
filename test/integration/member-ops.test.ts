import { expect } from 'chai';
import MailComposer from 'nodemailer/lib/mail-composer';
import request from 'supertest';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { waitFor } from '../support/process';
import { createLocalUser, createTenant, tokenFor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

interface Person {
  id: string;
  email: string;
  mailbox_id: string;
}

const ctx = { requestId: 'test', ip: '127.0.0.1', userAgent: null };

describe('member actions from the console: app passwords, auto-reply, forwarding, delete after export', function () {
  this.timeout(60_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let tenantId: string;
  let alice: Person;
  let bob: Person;
  let carol: Person;
  let adminId: string;
  let auditor: string;
  let otherAdmin: string;
  const api = () => request(app.url);
  const admin = () => tokenFor(app, tenantId, adminId, ['admin']);
  const as = (token: string) => ({
    get: (p: string) => api().get(`/api/v1${p}`).set('Authorization', `Bearer ${token}`),
    put: (p: string, b: object) => api().put(`/api/v1${p}`).set('Authorization', `Bearer ${token}`).send(b),
    post: (p: string, b: object = {}) =>
      api().post(`/api/v1${p}`).set('Authorization', `Bearer ${token}`).send(b),
  });

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'memberopsco')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 8,
      depth: 1,
      seed: 13,
    });
    emulator.setCallback(undefined);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    [alice, bob, carol] = await app.ds.query(
      `SELECT m.id, m.email, b.id AS mailbox_id FROM members m
         JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 ORDER BY m.email LIMIT 3`,
      [tenantId],
    );
    adminId = (await createLocalUser(app, tenantId, { roles: ['admin'] })).member.id;
    auditor = tokenFor(
      app,
      tenantId,
      (await createLocalUser(app, tenantId, { roles: ['auditor'] })).member.id,
      ['auditor'],
    );
    const other = (await createTenant(app, 'othermemberopsco')).id;
    otherAdmin = tokenFor(app, other, (await createLocalUser(app, other)).member.id, ['admin']);
  });
  after(async () => {
    await emulator.close();
    await app.close();
  });

  const deliver = async (to: Person, subject: string) => {
    const raw = await new MailComposer({
      from: 'partner@partner.example',
      to: to.email,
      subject,
      text: '你好',
    })
      .compile()
      .build();
    const r = await app.services.recipients.resolve(to.email);
    if (r.kind !== 'mailbox') throw new Error('no mailbox');
    await app.services.delivery.deliver({ tenantId, raw, targets: [r.target] });
  };
  const actions = async (action: string) =>
    (await app.ds.query(
      `SELECT actor_id, target_id, details FROM audit_log WHERE tenant_id = $1 AND action = $2`,
      [tenantId, action],
    )) as { actor_id: string; target_id: string; details: Record<string, unknown> }[];

  it('revokes every app password of a member: SMTP AUTH refuses them afterwards; audited; auditors only look', async () => {
    const aliceActor = { tenantId, memberId: alice.id, roles: ['employee' as const], scope: 'full' as const };
    const one = await app.services.appPasswords.create(aliceActor, 'Outlook', ctx);
    await app.services.appPasswords.create(aliceActor, '手机邮件', ctx);
    await app.services.appPasswords.create({ ...aliceActor, memberId: bob.id }, 'Bob 的 Foxmail', ctx);
    const listed = await as(auditor).get(`/admin/members/${alice.id}/app-passwords`);
    expect(listed.status).to.equal(200);
    expect(listed.body.appPasswords.map((p: { name: string }) => p.name).sort()).to.deep.equal([
      'Outlook',
      '手机邮件',
    ]);
    expect(JSON.stringify(listed.body)).not.to.contain(one.password);
    expect((await as(auditor).post(`/admin/members/${alice.id}/app-passwords/revoke`)).status).to.equal(403);

    const identity = await app.services.appPasswords.authenticate(alice.email, one.password, '127.0.0.1');
    expect(identity).to.not.equal(null);
    const res = await as(admin()).post(`/admin/members/${alice.id}/app-passwords/revoke`);
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ revoked: 2 });
    let refused = false;
    await app.services.appPasswords
      .authenticate(alice.email, one.password, '127.0.0.1')
      .catch(() => (refused = true));
    expect(refused).to.equal(true);
    // Bob's stays.
    expect(
      (await as(admin()).get(`/admin/members/${bob.id}/app-passwords`)).body.appPasswords,
    ).to.have.length(1);
    const [entry] = await actions('member.app_passwords_revoked');
    expect(entry).to.deep.include({ actor_id: adminId, target_id: alice.id });
    expect(entry!.details.revoked).to.equal(2);
  });

  it('sets the auto-reply on the member’s behalf (the member sees it); bad input 400; other tenants 404', async () => {
    const body = {
      enabled: true,
      subject: '休假中',
      body: '我在休假，12 月 1 日回来。',
      internalOnly: false,
    };
    const res = await as(admin()).put(`/admin/members/${alice.id}/auto-reply`, body);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.include({ enabled: true, subject: '休假中' });
    const own = await as(tokenFor(app, tenantId, alice.id, ['employee'])).get('/mail/auto-reply');
    expect(own.body).to.include({ enabled: true, body: body.body });
    expect((await actions('member.auto_reply_set')).map((a) => a.target_id)).to.include(alice.id);
    expect(
      (await as(admin()).put(`/admin/members/${alice.id}/auto-reply`, { enabled: true, body: '' })).status,
    ).to.equal(400);
    expect((await as(otherAdmin).get(`/admin/members/${alice.id}/auto-reply`)).status).to.equal(404);
    expect((await as(otherAdmin).put(`/admin/members/${alice.id}/auto-reply`, body)).status).to.equal(404);
    await as(admin()).put(`/admin/members/${alice.id}/auto-reply`, { ...body, enabled: false });
  });

  it('forwards incoming mail to another address (without keeping a copy), through the existing rules pipeline', async () => {
    const bad = await as(admin()).put(`/admin/members/${carol.id}/forwarding`, { enabled: true });
    expect(bad.status).to.equal(400);
    const res = await as(admin()).put(`/admin/members/${carol.id}/forwarding`, {
      enabled: true,
      to: bob.email,
      keepCopy: false,
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.deep.equal({ enabled: true, to: bob.email, keepCopy: false });
    await deliver(carol, '请转交');
    await waitFor(
      async () =>
        (
          await app.ds.query(
            `SELECT 1 FROM messages WHERE tenant_id = $1 AND mailbox_id = $2 AND subject LIKE '%请转交%'`,
            [tenantId, bob.mailbox_id],
          )
        ).length > 0,
      10_000,
      'the forwarded copy in bob’s mailbox',
    );
    const left = await app.ds.query(
      `SELECT f.role FROM messages m JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id
        WHERE m.tenant_id = $1 AND m.mailbox_id = $2 AND m.subject = '请转交'`,
      [tenantId, carol.mailbox_id],
    );
    expect(left.filter((r: { role: string }) => r.role === 'inbox')).to.have.length(0);
    expect((await as(auditor).get(`/admin/members/${carol.id}/forwarding`)).body).to.include({
      enabled: true,
    });
    const off = await as(admin()).put(`/admin/members/${carol.id}/forwarding`, { enabled: false });
    expect(off.body).to.deep.equal({ enabled: false, to: null, keepCopy: true });
    expect((await actions('member.forwarding_set')).length).to.equal(2);
  });

  it('deletes a mailbox only with a finished export newer than its last message (409 otherwise), then purges it', async () => {
    await deliver(bob, '删除前的邮件');
    const none = await as(admin()).post(`/admin/members/${bob.id}/delete-mailbox`, {
      exportId: '00000000-0000-4000-8000-000000000000',
    });
    expect(none.status).to.equal(409);
    expect(none.body.error.code).to.equal('mailbox.export_required');

    const exportNow = async () => {
      // The export is stamped with the app's clock, messages with the database's: keep them together.
      app.clock.set(new Date());
      const started = await as(admin()).post(`/admin/members/${bob.id}/export`);
      expect(started.status).to.equal(202);
      await waitFor(
        async () =>
          (await as(admin()).get('/admin/exports')).body.exports.some(
            (e: { id: string; status: string }) => e.id === started.body.id && e.status === 'ready',
          ),
        20_000,
        'the export',
      );
      return started.body.id as string;
    };
    const first = await exportNow();
    await new Promise((r) => setTimeout(r, 20));
    await deliver(bob, '导出之后到达');
    const stale = await as(admin()).post(`/admin/members/${bob.id}/delete-mailbox`, { exportId: first });
    expect(stale.status).to.equal(409);
    expect(
      (await as(auditor).post(`/admin/members/${bob.id}/delete-mailbox`, { exportId: first })).status,
    ).to.equal(403);
    expect(
      (await as(otherAdmin).post(`/admin/members/${bob.id}/delete-mailbox`, { exportId: first })).status,
    ).to.equal(404);

    const second = await exportNow();
    const res = await as(admin()).post(`/admin/members/${bob.id}/delete-mailbox`, { exportId: second });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.deep.equal({ mailboxId: bob.mailbox_id, exportId: second, purged: true });
    const [box] = await app.ds.query(
      `SELECT status, used_bytes FROM mailboxes WHERE tenant_id = $1 AND id = $2`,
      [tenantId, bob.mailbox_id],
    );
    expect(box).to.deep.include({ status: 'purged' });
    const [{ n }] = await app.ds.query(
      `SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1 AND mailbox_id = $2`,
      [tenantId, bob.mailbox_id],
    );
    expect(n).to.equal(0);
    const dl = await api()
      .get(`/api/v1/admin/exports/${second}/download`)
      .set('Authorization', `Bearer ${admin()}`);
    expect(dl.status).to.equal(200);
    const [purged] = await actions('mailbox.purged');
    expect(purged!.details.exportId).to.equal(second);
    expect((await actions('member.mailbox_deleted'))[0]!.details).to.include({ exportId: second });
  });
});
