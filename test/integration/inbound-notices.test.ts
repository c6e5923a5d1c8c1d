import { expect } from 'chai';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { startMx, type RunningMx } from '../../server/modules/transport';
import { createLogger } from '../../server/platform/logger';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createTenant } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

type Person = { member_id: string; mailbox_id: string; email: string; external_id: string };

describe('inbound: new-mail notices and over-quota notices to the sender', function () {
  this.timeout(60_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let mx: RunningMx;
  let tenantId: string;
  let people: Person[];
  let groupAddress: string;

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'notico')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 5,
      depth: 1,
      seed: 11,
    });
    emulator.setCallback(undefined);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    people = await app.ds.query(
      `SELECT m.id AS member_id, b.id AS mailbox_id, m.email, m.external_id FROM members m
         JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 ORDER BY m.email`,
      [tenantId],
    );
    [{ address: groupAddress }] = await app.ds.query(
      `SELECT a.local_part || '@notico.test' AS address FROM mail_groups g JOIN addresses a ON a.tenant_id = g.tenant_id AND a.group_id = g.id
        WHERE g.tenant_id = $1 AND g.department_external_id = '1'`,
      [tenantId],
    );
    mx = await startMx(app.services.inbound, {
      host: '127.0.0.1',
      port: 0,
      maxBytes: 200_000,
      hostname: 'mx.test',
      logger: createLogger({ level: 'silent' }),
    });
  });
  after(async () => {
    await mx.close();
    await emulator.close();
    await app.close();
  });

  const transport = () =>
    nodemailer.createTransport({ host: '127.0.0.1', port: mx.port, secure: false, ignoreTLS: true });

  function notices(p: Person): { title: string; content: string }[] {
    return emulator.notifications
      .inbox(p.external_id)
      .map((n) => (n.msg as { oa: { body: { title: string; content: string } } }).oa.body);
  }

  it('tells each recipient about mail landing in the Inbox: sender and subject', async () => {
    const [a, b] = people;
    await transport().sendMail({
      from: '王经理 <wang@partner.example>',
      to: [a!.email, b!.email],
      subject: '报价单',
      text: '请查收',
    });
    await app.services.newMailNotices.idle();
    for (const p of [a!, b!]) {
      const [notice] = notices(p);
      expect(notice, p.email).to.deep.include({ title: '新邮件' });
      expect(notice!.content).to.include('王经理：报价单');
    }
  });

  it('coalesces a burst into one notice per person, and says nothing about Junk', async () => {
    const p = people[2]!;
    for (const subject of ['一', '二', '三', '四']) {
      await transport().sendMail({ from: 'x@partner.example', to: p.email, subject, text: 'x' });
    }
    await app.services.delivery.deliver({
      tenantId,
      raw: Buffer.from('From: spam@junk.example\r\nSubject: 垃圾\r\n\r\nx\r\n'),
      targets: [
        { mailboxId: p.mailbox_id, memberId: p.member_id, status: 'active', quotaBytes: 1e12, usedBytes: 0 },
      ],
      verdict: { spam: true, score: 10, reasons: ['score'] },
    });
    await app.services.newMailNotices.idle();
    const got = notices(p);
    expect(got).to.have.length(1);
    expect(got[0]!.title).to.equal('4 封新邮件');
    expect(got[0]!.content)
      .to.include('x@partner.example：一')
      .and.include('另外 1 封')
      .and.not.include('垃圾');
  });

  it('a group member over quota is skipped; the others get it and the sender gets a notice', async () => {
    const [sender, full] = people;
    await app.ds.query(
      `UPDATE mailboxes SET quota_bytes = used_bytes + 10 WHERE tenant_id = $1 AND id = $2`,
      [tenantId, full!.mailbox_id],
    );
    const info = await transport().sendMail({
      from: sender!.email,
      to: groupAddress,
      subject: '周会纪要',
      text: 'x',
    });
    expect(info.response).to.match(/^250/);
    await app.services.inbound.idle();
    const [{ n }] = await app.ds.query(
      `SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1 AND subject = '周会纪要'`,
      [tenantId],
    );
    expect(n).to.equal(people.length - 1);
    const [notice] = await app.ds.query(
      `SELECT convert_from(b.content, 'UTF8') AS raw FROM messages m
         JOIN mail_blobs b ON b.tenant_id = m.tenant_id AND b.sha256 = m.blob_sha256
        WHERE m.tenant_id = $1 AND m.mailbox_id = $2 AND m.subject = '未送达通知: 周会纪要'`,
      [tenantId, sender!.mailbox_id],
    );
    expect(notice, 'notice in the sender inbox').to.not.equal(undefined);
    expect(notice.raw).to.include('message/delivery-status');
    const text = (await simpleParser(notice.raw)).text ?? '';
    expect(text).to.include(groupAddress).and.include('邮箱已满');

    // The null sender gets no notice (it would be a bounce of a bounce).
    await transport().sendMail({
      envelope: { from: '', to: [full!.email, people[3]!.email] },
      raw: `From: MAILER-DAEMON@elsewhere.example\r\nSubject: bounce-x\r\n\r\nx\r\n`,
    });
    await app.services.inbound.idle();
    const [{ c }] = await app.ds.query(
      `SELECT count(*)::int AS c FROM outbound_queue WHERE tenant_id = $1 AND kind = 'system'`,
      [tenantId],
    );
    expect(c).to.equal(0);
    await app.ds.query(`UPDATE mailboxes SET quota_bytes = 5368709120 WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      full!.mailbox_id,
    ]);
  });
});
