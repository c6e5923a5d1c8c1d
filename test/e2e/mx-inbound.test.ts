import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import nodemailer from 'nodemailer';
import { loadMxTls, startMx, type RunningMx } from '../../server/modules/transport';
import { createLogger } from '../../server/platform/logger';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createTenant } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

describe('inbound SMTP (MX) over loopback with a real client', function () {
  this.timeout(60_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let mx: RunningMx;
  let tenantId: string;
  let alice: { email: string; mailbox_id: string };
  let groupAddress: string;
  let tlsDir: string;

  before(async () => {
    app = await startTestApp();
    tlsDir = mkdtempSync(path.join(os.tmpdir(), 'mx-tls-'));
    tenantId = (await createTenant(app, 'mxco')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 25,
      depth: 2,
      seed: 9,
    });
    emulator.setCallback(undefined);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    [alice] = await app.ds.query(
      `SELECT m.email, b.id AS mailbox_id FROM members m JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 ORDER BY m.email LIMIT 1`,
      [tenantId],
    );
    [{ address: groupAddress }] = await app.ds.query(
      `SELECT a.local_part || '@mxco.test' AS address FROM mail_groups g JOIN addresses a ON a.tenant_id = g.tenant_id AND a.group_id = g.id
        WHERE g.tenant_id = $1 AND g.department_external_id = '1'`,
      [tenantId],
    );
    mx = await startMx(app.services.inbound, {
      host: '127.0.0.1',
      port: 0,
      maxBytes: 200_000,
      hostname: 'mx.test',
      logger: createLogger({ level: 'silent' }),
      tls: await loadMxTls({ hostname: 'mx.test', dataDir: tlsDir }),
    });
  });
  after(async () => {
    rmSync(tlsDir, { recursive: true, force: true });
    await mx.close();
    await emulator.close();
    await app.close();
  });

  const transport = () =>
    nodemailer.createTransport({
      host: '127.0.0.1',
      port: mx.port,
      secure: false,
      ignoreTLS: true,
      tls: { rejectUnauthorized: false },
    });

  async function countFor(mailboxId: string): Promise<number> {
    const [{ n }] = await app.ds.query(
      `SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1 AND mailbox_id = $2`,
      [tenantId, mailboxId],
    );
    return n;
  }

  it('accepts mail for a member and stores it before answering 250', async () => {
    const before = await countFor(alice.mailbox_id);
    const info = await transport().sendMail({
      from: 'partner@example.com',
      to: alice.email,
      subject: '季度报告',
      text: '请查收附件。',
    });
    expect(info.response).to.match(/^250/);
    expect(await countFor(alice.mailbox_id)).to.equal(before + 1); // visible the moment 250 arrived
    const [row] = await app.ds.query(
      `SELECT subject, from_address FROM messages WHERE tenant_id = $1 AND mailbox_id = $2 ORDER BY received_at DESC LIMIT 1`,
      [tenantId, alice.mailbox_id],
    );
    expect(row).to.deep.equal({ subject: '季度报告', from_address: 'partner@example.com' });
  });

  it('a raw GBK message arrives decoded', async () => {
    const raw = readFileSync(path.resolve('test/fixtures/mail/gbk-body.eml'));
    await transport().sendMail({ envelope: { from: 'sender@example.cn', to: [alice.email] }, raw });
    const [row] = await app.ds.query(
      `SELECT snippet FROM messages WHERE tenant_id = $1 AND mailbox_id = $2 ORDER BY received_at DESC LIMIT 1`,
      [tenantId, alice.mailbox_id],
    );
    expect(row.snippet).to.match(/[\u4e00-\u9fff]/);
  });

  it('a department group reaches every member once, from inside; outsiders are refused', async () => {
    const [{ n: before }] = await app.ds.query(
      `SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1`,
      [tenantId],
    );
    await transport().sendMail({
      from: alice.email,
      to: [groupAddress, alice.email],
      subject: '全员通知',
      text: '下午开会',
    });
    const [{ n: after }] = await app.ds.query(
      `SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1`,
      [tenantId],
    );
    expect(after - before).to.equal(emulator.org.snapshot().users.length);
    const err = await transport()
      .sendMail({ from: 'stranger@example.com', to: groupAddress, subject: 'hi', text: 'x' })
      .catch((e: { responseCode?: number; response?: string }) => e);
    expect(err).to.include({ responseCode: 550 });
    expect((err as { response: string }).response).to.include('5.7.1');
  });

  it('refuses unknown users (550 5.1.1) and relaying (550 5.7.1), keeping the good recipients', async () => {
    const unknown = await transport()
      .sendMail({ from: 'a@example.com', to: 'nobody@mxco.test', subject: 'x', text: 'x' })
      .catch((e: { responseCode?: number; response?: string }) => e);
    expect(unknown).to.include({ responseCode: 550 });
    expect((unknown as { response: string }).response).to.include('5.1.1');
    const relay = await transport()
      .sendMail({ from: 'a@example.com', to: 'victim@gmail.com', subject: 'x', text: 'x' })
      .catch((e: { responseCode?: number; response?: string }) => e);
    expect((relay as { response: string }).response).to.include('5.7.1');
    const mixed = await transport().sendMail({
      from: 'a@example.com',
      to: [alice.email, 'nobody@mxco.test'],
      subject: 'mixed',
      text: 'x',
    });
    expect(mixed.accepted).to.deep.equal([alice.email]);
    expect(mixed.rejected).to.deep.equal(['nobody@mxco.test']);
  });

  it('refuses an oversized message (552) and a full mailbox (452) without storing anything', async () => {
    const before = await countFor(alice.mailbox_id);
    const big = await transport()
      .sendMail({ from: 'a@example.com', to: alice.email, subject: 'big', text: 'x'.repeat(300_000) })
      .catch((e: { responseCode?: number }) => e);
    expect(big, JSON.stringify(big)).to.include({ responseCode: 552 });
    await app.ds.query(
      `UPDATE mailboxes SET quota_bytes = used_bytes + 10 WHERE tenant_id = $1 AND id = $2`,
      [tenantId, alice.mailbox_id],
    );
    const full = await transport()
      .sendMail({ from: 'a@example.com', to: alice.email, subject: 'full', text: 'x'.repeat(1000) })
      .catch((e: { responseCode?: number; response?: string }) => e);
    expect(full, JSON.stringify(full)).to.include({ responseCode: 452 });
    expect((full as { response: string }).response).to.include('4.2.2');
    expect(await countFor(alice.mailbox_id)).to.equal(before);
    await app.ds.query(`UPDATE mailboxes SET quota_bytes = 5368709120 WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      alice.mailbox_id,
    ]);
  });
});
