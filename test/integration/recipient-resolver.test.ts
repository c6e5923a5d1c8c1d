import { expect } from 'chai';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createTenant } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

describe('recipient resolution (the first step of inbound SMTP)', function () {
  this.timeout(60_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let tenantId: string;
  let person: { email: string; member_id: string; mailbox_id: string };

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'rcptco')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 40,
      depth: 3,
      seed: 5,
    });
    emulator.setCallback(undefined);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    [person] = await app.ds.query(
      `SELECT m.email, m.id AS member_id, b.id AS mailbox_id FROM members m
         JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 AND m.source = 'dingtalk' ORDER BY m.email LIMIT 1`,
      [tenantId],
    );
  });
  after(async () => {
    await emulator.close();
    await app.close();
  });

  const resolve = (address: string, size = 0) => app.services.recipients.resolve(address, size);

  it('a mailbox address, in any case and with a +tag', async () => {
    const [local, domain] = person.email.split('@');
    for (const address of [person.email, person.email.toUpperCase(), `${local}+invoices@${domain}`]) {
      const r = await resolve(address);
      expect(r.kind, address).to.equal('mailbox');
      if (r.kind === 'mailbox') expect(r.target.mailboxId).to.equal(person.mailbox_id);
    }
  });

  it('an alias reaches the same mailbox', async () => {
    const [, domain] = person.email.split('@');
    await app.ds.query(
      `INSERT INTO addresses (tenant_id, domain_id, local_part, kind, mailbox_id)
       SELECT $1, id, 'sales.cn', 'alias', $2 FROM domains WHERE tenant_id = $1 AND is_primary`,
      [tenantId, person.mailbox_id],
    );
    const r = await resolve(`sales.cn@${domain}`);
    expect(r.kind).to.equal('alias');
    if (r.kind === 'alias') expect(r.target.mailboxId).to.equal(person.mailbox_id);
  });

  it('a department group expands to its members’ mailboxes', async () => {
    const [root] = await app.ds.query(
      `SELECT a.local_part || '@rcptco.test' AS address FROM mail_groups g JOIN addresses a ON a.tenant_id = g.tenant_id AND a.group_id = g.id
        WHERE g.tenant_id = $1 AND g.department_external_id = '1'`,
      [tenantId],
    );
    const r = await resolve(root.address);
    expect(r.kind).to.equal('group');
    if (r.kind === 'group') {
      expect(r.targets).to.have.length(emulator.org.snapshot().users.length);
      expect(r.sendPolicy).to.equal('internal');
    }
  });

  it('unknown people and foreign domains are told apart (550 5.1.1 vs relay refusal)', async () => {
    expect((await resolve('nobody-here@rcptco.test')).kind).to.equal('unknown_address');
    expect((await resolve('someone@example.com')).kind).to.equal('unknown_domain');
    expect((await resolve('not-an-address')).kind).to.equal('unknown_domain');
  });

  it('over quota is reported for the message size; a departed member’s mailbox still accepts mail', async () => {
    await app.ds.query(
      `UPDATE mailboxes SET quota_bytes = 1000, used_bytes = 900 WHERE tenant_id = $1 AND id = $2`,
      [tenantId, person.mailbox_id],
    );
    const small = await resolve(person.email, 50);
    const big = await resolve(person.email, 500);
    expect(small.kind === 'mailbox' && small.overQuota).to.equal(false);
    expect(big.kind === 'mailbox' && big.overQuota).to.equal(true);

    const [leaver] = await app.ds.query(
      `SELECT external_id, email FROM members WHERE tenant_id = $1 AND source = 'dingtalk' AND id <> $2 LIMIT 1`,
      [tenantId, person.member_id],
    );
    emulator.org.leave(leaver.external_id);
    await app.services.sync.syncIds(tenantId, { memberIds: [leaver.external_id], departmentIds: [] }, 'test');
    const r = await resolve(leaver.email);
    expect(r.kind).to.equal('mailbox');
    if (r.kind === 'mailbox') expect(r.target.status).to.equal('suspended');
  });
});
