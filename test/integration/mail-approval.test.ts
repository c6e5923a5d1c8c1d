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
  department_ids: string[];
}

describe('mail approval (邮件审核): held mail goes out only once approved', function () {
  this.timeout(60_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let tenantId: string;
  let alice: Person;
  let bob: Person;
  let carol: Person;
  let dave: Person;
  let adminId: string;
  let auditorId: string;
  let otherAdmin: string;
  const admin = () => tokenFor(app, tenantId, adminId, ['admin']);
  const api = () => request(app.url);

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'approvalco')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 12,
      depth: 2,
      seed: 21,
    });
    emulator.setCallback(undefined);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    const people: Person[] = await app.ds.query(
      `SELECT m.id, m.email, b.id AS mailbox_id, m.department_ids FROM members m
         JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 AND cardinality(m.department_ids) > 0 ORDER BY m.email`,
      [tenantId],
    );
    [alice, bob, carol, dave] = people as [Person, Person, Person, Person];
    adminId = (await createLocalUser(app, tenantId, { roles: ['admin'] })).member.id;
    auditorId = (await createLocalUser(app, tenantId, { roles: ['auditor'] })).member.id;
    const other = (await createTenant(app, 'otherapprovalco')).id;
    otherAdmin = tokenFor(app, other, (await createLocalUser(app, other, { roles: ['admin'] })).member.id, [
      'admin',
    ]);
  });
  after(async () => {
    await emulator.close();
    await app.close();
  });

  const setPolicy = async (body: object) => {
    const res = await api()
      .put('/api/v1/admin/mail-approval/policy')
      .set('Authorization', `Bearer ${admin()}`)
      .send(body);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body;
  };
  const send = async (from: Person, to: string[], subject = '季度报价', text = '请查收\n') =>
    app.services.outgoing.submit({
      tenantId,
      mailboxId: from.mailbox_id,
      envelopeFrom: from.email,
      recipients: to,
      raw: await new MailComposer({ from: from.email, to, subject, text }).compile().build(),
      kind: 'user',
    });
  const copies = async (p: Person, subject: string) => {
    const [{ n }] = await app.ds.query(
      `SELECT count(*)::int AS n FROM messages m JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id
        WHERE m.tenant_id = $1 AND m.mailbox_id = $2 AND m.subject = $3 AND f.role = 'inbox'`,
      [tenantId, p.mailbox_id, subject],
    );
    return n as number;
  };
  const queued = async (subject: string) => {
    const [{ n }] = await app.ds.query(
      `SELECT count(*)::int AS n FROM outbound_queue WHERE tenant_id = $1 AND subject = $2`,
      [tenantId, subject],
    );
    return n as number;
  };
  const labels = async (messageId: string): Promise<string[]> =>
    (
      await app.ds.query(`SELECT labels FROM messages WHERE tenant_id = $1 AND id = $2`, [
        tenantId,
        messageId,
      ])
    )[0].labels;
  const notices = async (p: Person, prefix: string) =>
    app.ds.query(
      `SELECT m.subject, b.content FROM messages m JOIN mail_blobs b ON b.tenant_id = m.tenant_id AND b.sha256 = m.blob_sha256
        WHERE m.tenant_id = $1 AND m.mailbox_id = $2 AND m.subject LIKE $3`,
      [tenantId, p.mailbox_id, `${prefix}%`],
    ) as Promise<{ subject: string; content: Buffer }[]>;

  beforeEach(() =>
    setPolicy({
      enabled: true,
      scope: { members: [alice.id] },
      triggers: { allExternal: true, keywords: ['机密'] },
      approvers: [dave.id],
      timeoutHours: 1,
    }),
  );

  it('the policy is read by admins and auditors, changed by admins only (audited); bad input is a 400', async () => {
    const auditor = tokenFor(app, tenantId, auditorId, ['auditor']);
    const got = await api()
      .get('/api/v1/admin/mail-approval/policy')
      .set('Authorization', `Bearer ${auditor}`);
    expect(got.status).to.equal(200);
    expect(got.body).to.deep.include({ enabled: true, timeoutAction: 'reject', timeoutHours: 1 });
    const denied = await api()
      .put('/api/v1/admin/mail-approval/policy')
      .set('Authorization', `Bearer ${auditor}`)
      .send({});
    expect(denied.status).to.equal(403);
    for (const bad of [
      { timeoutHours: 0 },
      { triggers: { recipientDomains: ['not a domain'] } },
      { approvers: ['x'] },
    ]) {
      const res = await api()
        .put('/api/v1/admin/mail-approval/policy')
        .set('Authorization', `Bearer ${admin()}`)
        .send(bad);
      expect(res.status, JSON.stringify(bad)).to.equal(400);
      expect(res.body.error.code).to.be.a('string');
    }
    const [audit] = await app.ds.query(
      `SELECT details FROM audit_log WHERE tenant_id = $1 AND action = 'policy.approval_updated' ORDER BY id DESC LIMIT 1`,
      [tenantId],
    );
    expect(audit.details.after.scope.members).to.deep.equal([alice.id]);
  });

  it('held mail is neither delivered nor queued; the Sent copy shows it pending and the sender is told', async () => {
    const subject = '外部报价 A';
    const result = await send(alice, [bob.email, 'buyer@partner.example'], subject);
    expect(result.heldForApproval).to.be.a('string');
    expect(result).to.include({ queued: 0 });
    expect(result.localMessageIds).to.deep.equal([]);
    expect(await copies(bob, subject)).to.equal(0);
    expect(await queued(subject)).to.equal(0);
    expect(await labels(result.sentMessageId!)).to.include('approval:pending');
    const told = await notices(alice, '邮件待审核');
    expect(told.map((n) => n.subject)).to.include(`邮件待审核: ${subject}`);

    const list = await api()
      .get('/api/v1/admin/mail-approvals?status=pending')
      .set('Authorization', `Bearer ${admin()}`);
    expect(list.status).to.equal(200);
    const item = list.body.items.find((i: { id: string }) => i.id === result.heldForApproval);
    expect(item).to.include({ status: 'pending', senderAddress: alice.email, subject });
    expect(item.reasons.map((r: { trigger: string }) => r.trigger)).to.deep.equal(['external']);
    expect(list.body.pending).to.be.greaterThan(0);
  });

  it('approve (double click, in parallel) → delivered once, the remote domain queued once, audited', async () => {
    const subject = '外部报价 B';
    const { heldForApproval: id, sentMessageId } = await send(
      alice,
      [bob.email, 'buyer@partner.example'],
      subject,
    );
    const detail = await api()
      .get(`/api/v1/admin/mail-approvals/${id}`)
      .set('Authorization', `Bearer ${admin()}`);
    expect(detail.status).to.equal(200);
    expect(detail.body.text).to.contain('请查收');

    const clicks = await Promise.all(
      [1, 2, 3].map(() =>
        api()
          .post(`/api/v1/admin/mail-approvals/${id}/approve`)
          .set('Authorization', `Bearer ${admin()}`)
          .send({}),
      ),
    );
    for (const c of clicks) {
      expect(c.status, JSON.stringify(c.body)).to.equal(200);
      expect(c.body).to.include({ status: 'approved', released: true, decidedBy: adminId });
    }
    expect(await copies(bob, subject)).to.equal(1);
    expect(await queued(subject)).to.equal(1);
    expect(await labels(sentMessageId!)).not.to.include('approval:pending');
    const [{ n }] = await app.ds.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1 AND action = 'mail_approval.approved' AND target_id = $2`,
      [tenantId, id],
    );
    expect(n).to.equal(1);
    // A later reject of the same message is a conflict, and changes nothing.
    const late = await api()
      .post(`/api/v1/admin/mail-approvals/${id}/reject`)
      .set('Authorization', `Bearer ${admin()}`)
      .send({ reason: '太晚了' });
    expect(late.status).to.equal(409);
    expect(await copies(bob, subject)).to.equal(1);
  });

  it('reject with a reason → nothing sent, the sender gets the reason; a reason is required', async () => {
    const subject = '内部机密文件';
    const { heldForApproval: id, sentMessageId } = await send(alice, [bob.email], subject, '这是机密\n');
    const noReason = await api()
      .post(`/api/v1/admin/mail-approvals/${id}/reject`)
      .set('Authorization', `Bearer ${admin()}`)
      .send({ reason: ' ' });
    expect(noReason.status).to.equal(400);
    const res = await api()
      .post(`/api/v1/admin/mail-approvals/${id}/reject`)
      .set('Authorization', `Bearer ${admin()}`)
      .send({ reason: '含有敏感信息，请删除附件后重发' });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.include({ status: 'rejected', released: false });
    expect(res.body.reasons[0]).to.deep.equal({ trigger: 'keyword', detail: '机密' });
    expect(await copies(bob, subject)).to.equal(0);
    expect(await labels(sentMessageId!)).to.include('approval:rejected');
    const told = await notices(alice, '邮件审核未通过');
    const notice = told.find((n) => n.subject.includes(subject));
    expect(notice, 'rejection notice').to.not.equal(undefined);
    expect(notice!.content.toString('utf8')).to.match(/Auto-Submitted: auto-generated/i);
    const approveLater = await api()
      .post(`/api/v1/admin/mail-approvals/${id}/approve`)
      .set('Authorization', `Bearer ${admin()}`)
      .send({});
    expect(approveLater.status).to.equal(409);
    expect(await copies(bob, subject)).to.equal(0);
  });

  it('scope: members and departments (with sub-departments) in scope are held, others are not', async () => {
    const out = await send(carol, ['someone@partner.example'], '范围外');
    expect(out.heldForApproval).to.equal(undefined);
    expect(out.queued).to.equal(1);
    await setPolicy({
      enabled: true,
      scope: { departments: carol.department_ids },
      triggers: { recipientDomains: ['partner.example'] },
    });
    const held = await send(carol, ['someone@sub.partner.example'], '范围内');
    expect(held.heldForApproval).to.be.a('string');
    expect((await send(carol, ['x@elsewhere.example'], '其他域名')).heldForApproval).to.equal(undefined);
    await setPolicy({ enabled: false, scope: { allMembers: true }, triggers: { allExternal: true } });
    expect((await send(carol, ['x@elsewhere.example'], '关闭时')).heldForApproval).to.equal(undefined);
  });

  it('timeout: the job approves or rejects what nobody decided on, per the policy', async () => {
    const subjectA = '超时放行';
    const a = await send(alice, [bob.email, 'x@partner.example'], subjectA);
    await setPolicy({
      enabled: true,
      scope: { members: [alice.id] },
      triggers: { allExternal: true },
      timeoutAction: 'approve',
    });
    await app.ds.query(`UPDATE mail_approvals SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
      a.heldForApproval,
    ]);
    // Through the registered job, as the scheduler would run it.
    const { runId } = await app.services.jobs.runNow('mail.approval_timeouts', tenantId, adminId);
    let run: { status: string; summary: Record<string, number> } | undefined;
    for (let i = 0; i < 100; i++) {
      [run] = await app.ds.query(`SELECT status, summary FROM job_runs WHERE tenant_id = $1 AND id = $2`, [
        tenantId,
        runId,
      ]);
      if (run && run.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(run).to.deep.include({ status: 'succeeded' });
    expect(run!.summary).to.include({ expired: 1, released: 1 });
    expect(await copies(bob, subjectA)).to.equal(1);
    expect(await queued(subjectA)).to.equal(1);
    const [rowA] = await app.ds.query(`SELECT status, released FROM mail_approvals WHERE id = $1`, [
      a.heldForApproval,
    ]);
    expect(rowA).to.deep.equal({ status: 'expired', released: true });

    await setPolicy({ enabled: true, scope: { members: [alice.id] }, triggers: { allExternal: true } });
    const subjectB = '超时退回';
    const b = await send(alice, [bob.email, 'x@partner.example'], subjectB);
    await app.ds.query(`UPDATE mail_approvals SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
      b.heldForApproval,
    ]);
    expect(await app.services.mailApprovals.expireDue(tenantId)).to.deep.include({ expired: 1, released: 0 });
    expect(await copies(bob, subjectB)).to.equal(0);
    expect((await notices(alice, '邮件审核未通过')).some((n) => n.subject.includes(subjectB))).to.equal(true);
    // Running again finds nothing more to do.
    expect(await app.services.mailApprovals.expireDue(tenantId)).to.deep.include({ expired: 0 });
  });

  it('who decides: auditors read but cannot decide; appointed approvers can; other employees get 403; other tenants 404', async () => {
    const subject = '权限测试';
    const { heldForApproval: id } = await send(alice, ['x@partner.example'], subject);
    const auditor = tokenFor(app, tenantId, auditorId, ['auditor']);
    expect(
      (await api().get(`/api/v1/admin/mail-approvals/${id}`).set('Authorization', `Bearer ${auditor}`))
        .status,
    ).to.equal(200);
    const auditorApprove = await api()
      .post(`/api/v1/admin/mail-approvals/${id}/approve`)
      .set('Authorization', `Bearer ${auditor}`)
      .send({});
    expect(auditorApprove.status).to.equal(403);

    const employee = tokenFor(app, tenantId, bob.id, ['employee']);
    expect(
      (await api().get('/api/v1/mail-approvals').set('Authorization', `Bearer ${employee}`)).status,
    ).to.equal(403);
    expect(
      (
        await api()
          .post(`/api/v1/mail-approvals/${id}/approve`)
          .set('Authorization', `Bearer ${employee}`)
          .send({})
      ).status,
    ).to.equal(403);

    for (const path of [`/api/v1/admin/mail-approvals/${id}`]) {
      expect((await api().get(path).set('Authorization', `Bearer ${otherAdmin}`)).status).to.equal(404);
    }
    const foreign = await api()
      .post(`/api/v1/admin/mail-approvals/${id}/approve`)
      .set('Authorization', `Bearer ${otherAdmin}`)
      .send({});
    expect(foreign.status).to.equal(404);
    const foreignList = await api()
      .get('/api/v1/admin/mail-approvals')
      .set('Authorization', `Bearer ${otherAdmin}`);
    expect(foreignList.body.items.map((i: { id: string }) => i.id)).not.to.include(id);

    const approver = tokenFor(app, tenantId, dave.id, ['employee']);
    const queue = await api()
      .get('/api/v1/mail-approvals?status=pending')
      .set('Authorization', `Bearer ${approver}`);
    expect(queue.status).to.equal(200);
    expect(queue.body.items.map((i: { id: string }) => i.id)).to.include(id);
    const ok = await api()
      .post(`/api/v1/mail-approvals/${id}/approve`)
      .set('Authorization', `Bearer ${approver}`)
      .send({ reason: '已核实' });
    expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
    expect(ok.body).to.include({ status: 'approved', decidedBy: dave.id, decisionReason: '已核实' });
    expect(await queued(subject)).to.equal(1);
    const missing = await api()
      .get('/api/v1/admin/mail-approvals/00000000-0000-4000-8000-000000000000')
      .set('Authorization', `Bearer ${admin()}`);
    expect(missing.status).to.equal(404);
  });
});
