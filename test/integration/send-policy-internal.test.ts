import { expect } from 'chai';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import request from 'supertest';
import {
  startSubmission,
  type OutgoingMessage,
  type RunningSubmission,
} from '../../server/modules/transport';
import type { AppError } from '../../server/platform/errors';
import { createLogger } from '../../server/platform/logger';
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

describe('send policy: internal sending switch and overrides, undo-send default', function () {
  this.timeout(60_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let submission: RunningSubmission;
  let tenantId: string;
  let people: Person[];
  let alice: Person;
  let bob: Person;
  let adminId: string;
  let root: string;
  const admin = () => tokenFor(app, tenantId, adminId, ['admin']);
  const tokenOf = (p: Person) => tokenFor(app, tenantId, p.id, ['employee']);

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'internalco')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 12,
      depth: 3,
      seed: 17,
    });
    emulator.setCallback(undefined);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    people = await app.ds.query(
      `SELECT m.id, m.email, b.id AS mailbox_id, m.department_ids FROM members m
         JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 AND m.status = 'active' AND cardinality(m.department_ids) > 0 ORDER BY m.email`,
      [tenantId],
    );
    [alice, bob] = people;
    adminId = (await createLocalUser(app, tenantId, { roles: ['admin'] })).member.id;
    // The root department's external id is on every member's path.
    [{ root }] = await app.ds.query(
      `SELECT path[1] AS root FROM departments WHERE tenant_id = $1 AND external_id = $2`,
      [tenantId, alice.department_ids[0]],
    );
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
        hostname: 'smtp.internalco.test',
        logger: createLogger({ level: 'silent' }),
      },
    );
  });
  after(async () => {
    await submission.close();
    await emulator.close();
    await app.close();
  });

  const api = () => request(app.url);
  const setPolicy = async (body: object) => {
    const res = await api()
      .put('/api/v1/admin/send-policy')
      .set('Authorization', `Bearer ${admin()}`)
      .send(body);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body;
  };
  const message = async (p: Person, to: string[]): Promise<OutgoingMessage> => ({
    tenantId,
    mailboxId: p.mailbox_id,
    envelopeFrom: p.email,
    recipients: to,
    raw: await new MailComposer({ from: p.email, to, subject: '内部', text: '正文\n' }).compile().build(),
    kind: 'user',
  });
  const failure = async (p: Promise<unknown>): Promise<AppError> => {
    try {
      await p;
    } catch (err) {
      return err as AppError;
    }
    throw new Error('expected the send to be refused');
  };
  const check = async (p: Person, to: string[]) =>
    app.services.outgoing.checkPolicy(null, await message(p, to));
  const denied = async (p: Person, to: string[]) => (await failure(check(p, to))).code;
  const send = (p: Person, to: string) =>
    api()
      .post('/api/v1/mail/send')
      .set('Authorization', `Bearer ${tokenOf(p)}`)
      .send({ to: [{ address: to }], subject: '你好', text: '正文' });

  afterEach(() => setPolicy({}));

  it('defaults: internal sending on, no overrides, undo default 10 s; bad input 400, employees 403, changes audited', async () => {
    const got = await api().get('/api/v1/admin/send-policy').set('Authorization', `Bearer ${admin()}`);
    expect(got.status).to.equal(200);
    expect(got.body).to.include({ internalSendingAllowed: true, undoSendDefaultSeconds: 10 });
    expect(got.body.internalOverrides).to.deep.equal({
      allowDepartments: [],
      denyDepartments: [],
      allowMembers: [],
      denyMembers: [],
    });
    for (const bad of [
      { undoSendDefaultSeconds: 31 },
      { undoSendDefaultSeconds: -1 },
      { undoSendDefaultSeconds: 2.5 },
      { internalSendingAllowed: 'no' },
      { internalOverrides: { denyMembers: ['not-a-uuid'] } },
    ]) {
      const res = await api()
        .put('/api/v1/admin/send-policy')
        .set('Authorization', `Bearer ${admin()}`)
        .send(bad);
      expect(res.status, JSON.stringify(bad)).to.equal(400);
      expect(res.body.error.code).to.be.a('string');
    }
    const employee = await api()
      .put('/api/v1/admin/send-policy')
      .set('Authorization', `Bearer ${tokenOf(alice)}`)
      .send({ internalSendingAllowed: false });
    expect(employee.status).to.equal(403);
    await setPolicy({ internalSendingAllowed: false, undoSendDefaultSeconds: 0 });
    const [audit] = await app.ds.query(
      `SELECT details FROM audit_log WHERE tenant_id = $1 AND action = 'policy.send_updated' ORDER BY id DESC LIMIT 1`,
      [tenantId],
    );
    expect(audit.details.before).to.include({ internalSendingAllowed: true, undoSendDefaultSeconds: 10 });
    expect(audit.details.after).to.include({ internalSendingAllowed: false, undoSendDefaultSeconds: 0 });
  });

  it('organization switch off: compose/send is 403 mail.policy_internal_denied, nothing scheduled; external mail still goes', async () => {
    await setPolicy({ internalSendingAllowed: false });
    const [{ n: before }] = await app.ds.query(
      `SELECT count(*)::int AS n FROM scheduled_sends WHERE tenant_id = $1`,
      [tenantId],
    );
    const res = await send(alice, bob.email);
    expect(res.status).to.equal(403);
    expect(res.body.error.code).to.equal('mail.policy_internal_denied');
    expect(res.body.error.details.recipients).to.deep.equal([bob.email]);
    const [{ n: after }] = await app.ds.query(
      `SELECT count(*)::int AS n FROM scheduled_sends WHERE tenant_id = $1`,
      [tenantId],
    );
    expect(after).to.equal(before);
    // A message with one internal recipient among external ones is refused whole.
    expect(await denied(alice, ['x@example.net', bob.email])).to.equal('mail.policy_internal_denied');
    // External sending rules are unaffected.
    await check(alice, ['x@example.net']);
    const ext = await send(alice, 'partner@example.net');
    expect(ext.status).to.equal(202);
  });

  it('department deny covers sub-departments; a member allow beats it; a member deny beats a department allow', async () => {
    await setPolicy({ internalOverrides: { denyDepartments: [root], allowMembers: [bob.id] } });
    expect(await denied(alice, [bob.email])).to.equal('mail.policy_internal_denied');
    await check(bob, [alice.email]);

    await setPolicy({
      internalSendingAllowed: false,
      internalOverrides: { allowDepartments: [alice.department_ids[0]] },
    });
    await check(alice, [bob.email]);
    await setPolicy({ internalOverrides: { allowDepartments: [root], denyMembers: [alice.id] } });
    expect(await denied(alice, [bob.email])).to.equal('mail.policy_internal_denied');
    // The external overrides do not touch internal sending, and the other way round.
    await setPolicy({ overrides: { denyMembers: [alice.id] } });
    await check(alice, [bob.email]);
    expect(await denied(alice, ['x@example.net'])).to.equal('mail.policy_external_denied');
    await setPolicy({ externalSendingAllowed: false, internalOverrides: { denyMembers: [bob.id] } });
    expect(await denied(bob, ['x@example.net'])).to.equal('mail.policy_external_denied');
    expect(await denied(bob, [alice.email])).to.equal('mail.policy_internal_denied');
  });

  it('SMTP submission: an internal recipient of a denied member is refused with 550 5.7.1; external is accepted', async () => {
    const pw = await api()
      .post('/api/v1/me/app-passwords')
      .set('Authorization', `Bearer ${tokenOf(alice)}`)
      .send({ name: '客户端' });
    expect(pw.status).to.equal(201);
    await setPolicy({ internalOverrides: { denyMembers: [alice.id] } });
    const client = nodemailer.createTransport({
      host: '127.0.0.1',
      port: submission.port,
      secure: false,
      ignoreTLS: true,
      auth: { user: alice.email, pass: pw.body.password },
    });
    const err = (await failure(
      client.sendMail({ from: alice.email, to: bob.email, subject: '被拒', text: '你好\n' }),
    )) as unknown as { responseCode?: number; response?: string };
    expect(err.responseCode).to.equal(550);
    expect(err.response).to.match(/5\.7\.1 .*inside the organization/);
    const info = await client.sendMail({
      from: alice.email,
      to: 'partner@example.net',
      subject: '外发',
      text: '你好\n',
    });
    expect(info.accepted).to.deep.equal(['partner@example.net']);
    client.close();
  });

  it('undo-send default: applies to members without a preference; a member’s own choice wins', async () => {
    const [carol, dave] = [people[2]!, people[3]!];
    const pref = await api()
      .put('/api/v1/mail/preferences/undo-send')
      .set('Authorization', `Bearer ${tokenOf(dave)}`)
      .send({ seconds: 20 });
    expect(pref.status).to.equal(200);
    await setPolicy({ undoSendDefaultSeconds: 3 });
    const mine = async (p: Person) =>
      (
        await api()
          .get('/api/v1/mail/preferences/undo-send')
          .set('Authorization', `Bearer ${tokenOf(p)}`)
      ).body.seconds;
    expect(await mine(carol)).to.equal(3);
    expect(await mine(dave)).to.equal(20);
    const byCarol = await send(carol, alice.email);
    expect(byCarol.status).to.equal(202);
    expect(new Date(byCarol.body.dueAt).getTime() - app.clock.now().getTime()).to.equal(3_000);
    const byDave = await send(dave, alice.email);
    expect(byDave.status).to.equal(202);
    expect(new Date(byDave.body.dueAt).getTime() - app.clock.now().getTime()).to.equal(20_000);
    // Back to the default: 10 s again for carol.
    await setPolicy({});
    expect(await mine(carol)).to.equal(10);
  });
});
