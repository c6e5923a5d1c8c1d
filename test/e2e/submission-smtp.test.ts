import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import nodemailer from 'nodemailer';
import request from 'supertest';
import { loadMxTls, startSubmission, type RunningSubmission } from '../../server/modules/transport';
import { createLogger } from '../../server/platform/logger';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createLocalUser, createTenant, tokenFor } from '../support/fixtures';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { startTestApp, type TestApp } from '../support/test-app';

interface Person {
  id: string;
  email: string;
  mailbox_id: string;
}

describe('SMTP submission with app passwords, end to end over loopback', function () {
  this.timeout(60_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let sink: SmtpSink;
  let submission: RunningSubmission;
  let tenantId: string;
  let alice: Person;
  let bob: Person;
  let carol: Person;
  let adminId: string;
  let password: string;
  let passwordId: string;
  const admin = () => tokenFor(app, tenantId, adminId, ['admin']);
  const tokenOf = (p: Person) => tokenFor(app, tenantId, p.id, ['employee']);

  before(async () => {
    sink = await startSmtpSink();
    app = await startTestApp({ OUTBOUND_MODE: 'deliver' });
    tenantId = (await createTenant(app, 'subco')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 10,
      depth: 2,
      seed: 7,
    });
    emulator.setCallback(undefined);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    [alice, bob, carol] = await app.ds.query(
      `SELECT m.id, m.email, b.id AS mailbox_id FROM members m JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 ORDER BY m.email LIMIT 3`,
      [tenantId],
    );
    adminId = (await createLocalUser(app, tenantId, { roles: ['admin'] })).member.id;
    const relay = await request(app.url)
      .put('/api/v1/admin/relay')
      .set('Authorization', `Bearer ${admin()}`)
      .send({ enabled: true, host: '127.0.0.1', port: sink.port, security: 'none' });
    expect(relay.status).to.equal(200);
    submission = await startSubmission(
      {
        appPasswords: app.services.appPasswords,
        outgoing: app.services.outgoing,
        recipients: app.services.recipients,
      },
      {
        host: '127.0.0.1',
        port: 0,
        maxBytes: 1_000_000,
        hostname: 'smtp.subco.test',
        logger: createLogger({ level: 'silent' }),
      },
    );
  });
  after(async () => {
    await submission.close();
    await emulator.close();
    await sink.close();
    await app.close();
  });

  const client = (user: string, pass: string) =>
    nodemailer.createTransport({
      host: '127.0.0.1',
      port: submission.port,
      secure: false,
      ignoreTLS: true,
      auth: { user, pass },
    });
  const smtpError = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      return err as { responseCode?: number; response?: string; code?: string };
    }
    throw new Error('expected an SMTP error');
  };
  const inboxSubjects = async (p: Person) =>
    (
      await app.ds.query(
        `SELECT m.subject FROM messages m JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id
          WHERE m.tenant_id = $1 AND m.mailbox_id = $2 AND f.role = 'inbox'`,
        [tenantId, p.mailbox_id],
      )
    ).map((r: { subject: string }) => r.subject);

  it('an employee creates an app password (shown once, 16 letters in groups), lists it without the secret', async () => {
    const bad = await request(app.url)
      .post('/api/v1/me/app-passwords')
      .set('Authorization', `Bearer ${tokenOf(alice)}`)
      .send({ name: '' });
    expect(bad.status).to.equal(400);
    const res = await request(app.url)
      .post('/api/v1/me/app-passwords')
      .set('Authorization', `Bearer ${tokenOf(alice)}`)
      .send({ name: 'Outlook 笔记本' });
    expect(res.status).to.equal(201);
    expect(res.body.password).to.match(/^[a-z]{4}-[a-z]{4}-[a-z]{4}-[a-z]{4}$/);
    expect(res.body.username).to.equal(alice.email);
    password = res.body.password;
    passwordId = res.body.appPassword.id;
    const list = await request(app.url)
      .get('/api/v1/me/app-passwords')
      .set('Authorization', `Bearer ${tokenOf(alice)}`);
    expect(list.body.appPasswords).to.have.length(1);
    expect(JSON.stringify(list.body)).not.to.include(password);
    const [row] = await app.ds.query(
      `SELECT password_hash FROM app_passwords WHERE tenant_id = $1 AND id = $2`,
      [tenantId, passwordId],
    );
    expect(row.password_hash).to.match(/^\$argon2id\$/);
    // Someone else's id is not found.
    const foreign = await request(app.url)
      .delete(`/api/v1/me/app-passwords/${passwordId}`)
      .set('Authorization', `Bearer ${tokenOf(bob)}`);
    expect(foreign.status).to.equal(404);
  });

  it('a client submits with the app password: the internal recipient has it at once, the external one through the relay', async () => {
    const info = await client(alice.email, password).sendMail({
      from: alice.email,
      to: [bob.email, 'partner@remote.example'],
      subject: '客户端发送 via SMTP',
      text: '你好\n',
    });
    expect(info.accepted).to.have.length(2);
    expect(await inboxSubjects(bob)).to.include('客户端发送 via SMTP');
    const [sent] = await app.ds.query(
      `SELECT f.role FROM messages m JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id
        WHERE m.tenant_id = $1 AND m.mailbox_id = $2 AND m.subject = '客户端发送 via SMTP'`,
      [tenantId, alice.mailbox_id],
    );
    expect(sent.role).to.equal('sent');
    const before = sink.messages.length;
    await app.services.outboundWorker.runOnce();
    expect(sink.messages.length).to.equal(before + 1);
    expect(sink.messages[before]!.to).to.deep.equal(['partner@remote.example']);
    const [used] = await app.ds.query(
      `SELECT last_used_at, host(last_used_ip) AS ip FROM app_passwords WHERE id = $1`,
      [passwordId],
    );
    expect(used.ip).to.equal('127.0.0.1');
    expect(used.last_used_at).to.not.equal(null);
  });

  it('a wrong password is 535; a MAIL FROM that is not the member’s own address is 553', async () => {
    const wrong = await smtpError(
      client(alice.email, 'aaaa-bbbb-cccc-dddd').sendMail({ from: alice.email, to: bob.email, text: 'x' }),
    );
    expect(wrong.responseCode).to.equal(535);
    const unknown = await smtpError(
      client('ghost@subco.test', password).sendMail({ from: alice.email, to: bob.email, text: 'x' }),
    );
    expect(unknown.responseCode).to.equal(535);
    const spoof = await smtpError(
      client(alice.email, password).sendMail({ from: bob.email, to: carol.email, text: 'x' }),
    );
    expect(spoof.responseCode).to.equal(553);
    expect(spoof.response).to.include('5.7.1');
  });

  it('recipients are checked at RCPT TO: unknown internal 550 5.1.1, external denied 550 5.7.1 with the reason', async () => {
    const unknown = await smtpError(
      client(alice.email, password).sendMail({ from: alice.email, to: 'nobody@subco.test', text: 'x' }),
    );
    expect(unknown.responseCode).to.equal(550);
    expect(unknown.response).to.include('5.1.1');
    await request(app.url)
      .put('/api/v1/admin/send-policy')
      .set('Authorization', `Bearer ${admin()}`)
      .send({ overrides: { denyMembers: [alice.id] } })
      .expect(200);
    const denied = await smtpError(
      client(alice.email, password).sendMail({ from: alice.email, to: 'partner@remote.example', text: 'x' }),
    );
    expect(denied.responseCode).to.equal(550);
    expect(denied.response).to.match(/5\.7\.1 .*outside the organization/);
    await request(app.url)
      .put('/api/v1/admin/send-policy')
      .set('Authorization', `Bearer ${admin()}`)
      .send({})
      .expect(200);
  });

  it('a message over the organization’s size limit is refused at DATA with 552 5.3.4', async () => {
    await request(app.url)
      .put('/api/v1/admin/send-policy')
      .set('Authorization', `Bearer ${admin()}`)
      .send({ maxMessageBytes: 2048 })
      .expect(200);
    const big = await smtpError(
      client(alice.email, password).sendMail({ from: alice.email, to: bob.email, text: '大'.repeat(3000) }),
    );
    expect(big.responseCode).to.equal(552);
    expect(big.response).to.include('5.3.4');
    await request(app.url)
      .put('/api/v1/admin/send-policy')
      .set('Authorization', `Bearer ${admin()}`)
      .send({})
      .expect(200);
  });

  it('with the MX certificate it offers STARTTLS, and AUTH works over TLS', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'submission-tls-'));
    const secure = await startSubmission(
      {
        appPasswords: app.services.appPasswords,
        outgoing: app.services.outgoing,
        recipients: app.services.recipients,
      },
      {
        host: '127.0.0.1',
        port: 0,
        maxBytes: 1_000_000,
        hostname: 'smtp.subco.test',
        logger: createLogger({ level: 'silent' }),
        tls: await loadMxTls({ hostname: 'smtp.subco.test', dataDir: dir }),
      },
    );
    try {
      const info = await nodemailer
        .createTransport({
          host: '127.0.0.1',
          port: secure.port,
          secure: false,
          requireTLS: true,
          tls: { rejectUnauthorized: false },
          auth: { user: alice.email, pass: password },
        })
        .sendMail({ from: alice.email, to: bob.email, subject: 'over TLS', text: 'x' });
      expect(info.accepted).to.deep.equal([bob.email]);
      expect(await inboxSubjects(bob)).to.include('over TLS');
    } finally {
      await secure.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a revoked app password stops working at once', async () => {
    await request(app.url)
      .delete(`/api/v1/me/app-passwords/${passwordId}`)
      .set('Authorization', `Bearer ${tokenOf(alice)}`)
      .expect(204);
    const revoked = await smtpError(
      client(alice.email, password).sendMail({ from: alice.email, to: bob.email, text: 'x' }),
    );
    expect(revoked.responseCode).to.equal(535);
  });

  it('repeated failures lock the account for SMTP (421 4.7.0, connection closed) even with the right password', async () => {
    const res = await request(app.url)
      .post('/api/v1/me/app-passwords')
      .set('Authorization', `Bearer ${tokenOf(carol)}`)
      .send({ name: 'phone' });
    for (let i = 0; i < 10; i++) {
      const e = await smtpError(
        client(carol.email, 'wrong-wrong-wrong').sendMail({ from: carol.email, to: bob.email, text: 'x' }),
      );
      expect(e.responseCode).to.equal(535);
    }
    const locked = await smtpError(
      client(carol.email, res.body.password).sendMail({ from: carol.email, to: bob.email, text: 'x' }),
    );
    expect(locked.responseCode).to.equal(421);
    expect(locked.response).to.include('4.7.0');
  });
});
