import { expect } from 'chai';
import MailComposer from 'nodemailer/lib/mail-composer';
import request from 'supertest';
import { createLocalUser, createTenant, tokenFor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

describe('outbound queue: an admin cancels a queued message and the sender gets a bounce', function () {
  this.timeout(60_000);
  let app: TestApp;
  let tenantId: string;
  let sender: { email: string; mailbox_id: string };
  let admin: string;
  let auditor: string;
  let otherAdmin: string;
  const api = () => request(app.url);

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'cancelco')).id;
    const [domain] = await app.ds.query(`SELECT id, name FROM domains WHERE tenant_id = $1`, [tenantId]);
    const [box] = await app.ds.query(
      `INSERT INTO mailboxes (tenant_id, domain_id, local_part) VALUES ($1, $2, 'sales') RETURNING id`,
      [tenantId, domain.id],
    );
    await app.ds.query(
      `INSERT INTO addresses (tenant_id, domain_id, local_part, kind, mailbox_id) VALUES ($1, $2, 'sales', 'mailbox', $3)`,
      [tenantId, domain.id, box.id],
    );
    sender = { email: `sales@${domain.name}`, mailbox_id: box.id };
    admin = tokenFor(app, tenantId, (await createLocalUser(app, tenantId)).member.id, ['admin']);
    auditor = tokenFor(
      app,
      tenantId,
      (await createLocalUser(app, tenantId, { roles: ['auditor'] })).member.id,
      ['auditor'],
    );
    const other = (await createTenant(app, 'othercancelco')).id;
    otherAdmin = tokenFor(app, other, (await createLocalUser(app, other)).member.id, ['admin']);
  });
  after(() => app.close());

  it('cancels a queued row: recipients failed, a DSN in the sender’s Inbox, audited; twice is 409; others 403/404', async () => {
    const raw = await new MailComposer({
      from: sender.email,
      to: 'buyer@partner.example',
      subject: '发错了的报价',
      text: '请忽略',
    })
      .compile()
      .build();
    await app.services.outgoing.submit({
      tenantId,
      mailboxId: sender.mailbox_id,
      envelopeFrom: sender.email,
      recipients: ['buyer@partner.example'],
      raw,
      kind: 'user',
    });
    const [row] = await app.ds.query(`SELECT id FROM outbound_queue WHERE tenant_id = $1 AND subject = $2`, [
      tenantId,
      '发错了的报价',
    ]);
    const path = `/api/v1/admin/outbound/${row.id}/cancel`;
    expect((await api().post(path).set('Authorization', `Bearer ${auditor}`)).status).to.equal(403);
    expect((await api().post(path).set('Authorization', `Bearer ${otherAdmin}`)).status).to.equal(404);
    const res = await api().post(path).set('Authorization', `Bearer ${admin}`);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.deep.equal({ id: row.id, bounced: true });
    const [after] = await app.ds.query(
      `SELECT status, recipients, last_error FROM outbound_queue WHERE id = $1`,
      [row.id],
    );
    expect(after.status).to.equal('failed');
    expect(after.recipients[0]).to.include({ address: 'buyer@partner.example', status: 'failed' });
    const dsn = await app.ds.query(
      `SELECT m.subject FROM messages m JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id AND f.role = 'inbox'
        WHERE m.tenant_id = $1 AND m.mailbox_id = $2`,
      [tenantId, sender.mailbox_id],
    );
    expect(dsn.map((d: { subject: string }) => d.subject)).to.include(
      '退信通知 Undelivered Mail Returned to Sender',
    );
    expect((await api().post(path).set('Authorization', `Bearer ${admin}`)).status).to.equal(409);
    const [audit] = await app.ds.query(
      `SELECT details FROM audit_log WHERE tenant_id = $1 AND action = 'outbound.cancelled'`,
      [tenantId],
    );
    expect(audit.details).to.include({ bounced: true, sender: sender.email });
  });
});
