import { expect } from 'chai';
import MailComposer from 'nodemailer/lib/mail-composer';
import request from 'supertest';
import type { AppError } from '../../server/platform/errors';
import { insertMessages, parseMessage, putBlob, systemFolderIds } from '../../server/modules/mail';
import type { OutgoingMessage } from '../../server/modules/transport';
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

describe('outgoing mail: send policy, recipients, Sent copy', function () {
  this.timeout(60_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let tenantId: string;
  let people: Person[];
  let alice: Person;
  let bob: Person;
  let adminId: string;
  const admin = () => tokenFor(app, tenantId, adminId, ['admin']);

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'policyco')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 20,
      depth: 3,
      seed: 11,
    });
    emulator.setCallback(undefined);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    people = await app.ds.query(
      `SELECT m.id, m.email, b.id AS mailbox_id, m.department_ids FROM members m
         JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 AND cardinality(m.department_ids) > 0 ORDER BY m.email`,
      [tenantId],
    );
    [alice, bob] = people;
    adminId = (await createLocalUser(app, tenantId, { roles: ['admin'] })).member.id;
  });
  after(async () => {
    await emulator.close();
    await app.close();
  });

  const api = () => request(app.url);
  const compose = (
    from: string,
    to: string[],
    extra: { subject?: string; text?: string; attachment?: Buffer } = {},
  ) =>
    new MailComposer({
      from,
      to,
      subject: extra.subject ?? '你好',
      text: extra.text ?? '正文\n',
      attachments: extra.attachment ? [{ filename: '合同.pdf', content: extra.attachment }] : [],
    })
      .compile()
      .build();
  const message = async (p: Person, to: string[], extra = {}): Promise<OutgoingMessage> => ({
    tenantId,
    mailboxId: p.mailbox_id,
    envelopeFrom: p.email,
    recipients: to,
    raw: await compose(p.email, to, extra),
    kind: 'user',
  });
  const setPolicy = async (body: object) => {
    const res = await api()
      .put('/api/v1/admin/send-policy')
      .set('Authorization', `Bearer ${admin()}`)
      .send(body);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body;
  };
  const failure = async (p: Promise<unknown>): Promise<AppError> => {
    try {
      await p;
    } catch (err) {
      return err as AppError;
    }
    throw new Error('expected the send to be refused');
  };
  const counts = async () => {
    const [{ messages }] = await app.ds.query(
      `SELECT count(*)::int AS messages FROM messages WHERE tenant_id = $1`,
      [tenantId],
    );
    const [{ queued }] = await app.ds.query(
      `SELECT count(*)::int AS queued FROM outbound_queue WHERE tenant_id = $1`,
      [tenantId],
    );
    return { messages, queued };
  };

  afterEach(() => setPolicy({}));

  it('the policy is read and changed by admins (audited), defaults stated; bad input is a 400 and employees get 403', async () => {
    const got = await api().get('/api/v1/admin/send-policy').set('Authorization', `Bearer ${admin()}`);
    expect(got.body).to.include({
      externalSendingAllowed: true,
      dailyExternalRecipientLimit: 2000,
      maxMessageBytes: 50 * 1024 * 1024,
    });
    const bad = await api()
      .put('/api/v1/admin/send-policy')
      .set('Authorization', `Bearer ${admin()}`)
      .send({ dailyExternalRecipientLimit: -1 });
    expect(bad.status).to.equal(400);
    const employee = tokenFor(app, tenantId, alice.id, ['employee']);
    const denied = await api()
      .put('/api/v1/admin/send-policy')
      .set('Authorization', `Bearer ${employee}`)
      .send({});
    expect(denied.status).to.equal(403);
    await setPolicy({ dailyExternalRecipientLimit: 10 });
    const [audit] = await app.ds.query(
      `SELECT details FROM audit_log WHERE tenant_id = $1 AND action = 'policy.send_updated' ORDER BY id DESC LIMIT 1`,
      [tenantId],
    );
    expect(audit.details.after.dailyExternalRecipientLimit).to.equal(10);
  });

  it('external sending denied for the organization: 403 mail.policy_external_denied, nothing stored; internal mail still goes', async () => {
    await setPolicy({ externalSendingAllowed: false });
    const before = await counts();
    const err = await failure(
      app.services.outgoing.submit(await message(alice, [bob.email, 'x@example.net'])),
    );
    expect(err).to.include({ code: 'mail.policy_external_denied', status: 403 });
    expect(await counts()).to.deep.equal(before);
    const ok = await app.services.outgoing.submit(await message(alice, [bob.email]));
    expect(ok.localMessageIds).to.have.length(1);
  });

  it('department and member overrides: a department deny covers sub-departments; a member allow wins over it', async () => {
    // The root department's external id is on every member's path.
    const [{ root }] = await app.ds.query(
      `SELECT path[1] AS root FROM departments WHERE tenant_id = $1 AND external_id = $2`,
      [tenantId, alice.department_ids[0]],
    );
    await setPolicy({ overrides: { denyDepartments: [root], allowMembers: [bob.id] } });
    const err = await failure(
      app.services.outgoing.checkPolicy(null, await message(alice, ['x@example.net'])),
    );
    expect(err.code).to.equal('mail.policy_external_denied');
    await app.services.outgoing.checkPolicy(null, await message(bob, ['x@example.net']));

    await setPolicy({
      externalSendingAllowed: false,
      overrides: { allowDepartments: [alice.department_ids[0]] },
    });
    await app.services.outgoing.checkPolicy(null, await message(alice, ['x@example.net']));
    await setPolicy({ overrides: { allowDepartments: [root], denyMembers: [alice.id] } });
    expect(
      (await failure(app.services.outgoing.checkPolicy(null, await message(alice, ['x@example.net'])))).code,
    ).to.equal('mail.policy_external_denied');
  });

  it('the daily external recipient limit counts per member per day (org time zone); checkPolicy does not count', async () => {
    await setPolicy({ dailyExternalRecipientLimit: 3 });
    const carol = people[2]!;
    await app.services.outgoing.checkPolicy(
      null,
      await message(carol, ['a@example.net', 'b@example.net', 'c@example.net']),
    );
    await app.services.outgoing.submit(await message(carol, ['a@example.net', 'b@example.net', bob.email]));
    const err = await failure(
      app.services.outgoing.submit(await message(carol, ['c@example.net', 'd@example.org'])),
    );
    expect(err).to.include({ code: 'mail.daily_limit', status: 429 });
    await app.services.outgoing.submit(await message(carol, ['c@example.net']));
    expect(
      (await failure(app.services.outgoing.submit(await message(carol, ['e@example.net'])))).code,
    ).to.equal('mail.daily_limit');
    // Internal mail is not counted; other members have their own counter.
    await app.services.outgoing.submit(await message(carol, [bob.email]));
    await app.services.outgoing.submit(await message(bob, ['e@example.net']));
    const [row] = await app.ds.query(
      `SELECT day::text, recipients FROM outbound_daily_counts WHERE tenant_id = $1 AND member_id = $2`,
      [tenantId, carol.id],
    );
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(app.clock.now());
    expect(row).to.deep.equal({ day: today, recipients: 3 });
    // A new day (in Shanghai) starts a new count.
    app.clock.advance(86_400_000);
    await app.services.outgoing.submit(await message(carol, ['f@example.net']));
  });

  it('too large: the message (413 mail.too_large) or one attachment (413 mail.attachment_too_large)', async () => {
    await setPolicy({ maxMessageBytes: 4096, maxAttachmentBytes: 2048 });
    const big = await failure(
      app.services.outgoing.submit(await message(alice, [bob.email], { text: 'x'.repeat(6000) })),
    );
    expect(big).to.include({ code: 'mail.too_large', status: 413 });
    const att = await failure(
      app.services.outgoing.submit(await message(alice, [bob.email], { attachment: Buffer.alloc(2100, 1) })),
    );
    expect(att).to.include({ code: 'mail.attachment_too_large', status: 413 });
  });

  it('unknown internal addresses fail a person’s send (listed) but are skipped for automatic mail; no recipients is a 400', async () => {
    const before = await counts();
    const err = await failure(
      app.services.outgoing.submit(
        await message(alice, [bob.email, 'nobody@policyco.test', 'x@example.net']),
      ),
    );
    expect(err).to.include({ code: 'mail.unknown_recipient', status: 422 });
    expect(err.details).to.deep.equal({ recipients: ['nobody@policyco.test'] });
    expect(await counts()).to.deep.equal(before);
    const auto = await app.services.outgoing.submit({
      ...(await message(alice, [bob.email, 'nobody@policyco.test'])),
      kind: 'auto',
    });
    expect(auto).to.deep.include({ sentMessageId: null, queued: 0 });
    expect(auto.localMessageIds).to.have.length(1);
    const none = await failure(app.services.outgoing.submit(await message(alice, [])));
    expect(none).to.include({ code: 'mail.no_recipients', status: 400 });
    const invalid = await failure(app.services.outgoing.submit(await message(alice, ['not an address'])));
    expect(invalid).to.include({ code: 'mail.recipient_refused', status: 422 });
  });

  it('groups and other organizations on this server are delivered locally; a foreign group not open to anyone refuses', async () => {
    const [group] = await app.ds.query(
      `SELECT a.local_part || '@policyco.test' AS address FROM mail_groups g JOIN addresses a ON a.tenant_id = g.tenant_id AND a.group_id = g.id
        WHERE g.tenant_id = $1 AND g.department_external_id = $2`,
      [tenantId, alice.department_ids[0]],
    );
    const toGroup = await app.services.outgoing.submit(await message(alice, [group.address]));
    expect(toGroup.localMessageIds.length).to.be.greaterThan(0);
    expect(toGroup.queued).to.equal(0);

    const other = await createTenant(app, 'neighbour');
    const [dom] = await app.ds.query(`SELECT id FROM domains WHERE tenant_id = $1`, [other.id]);
    const [m] = await app.ds.query(
      `INSERT INTO members (tenant_id, display_name, email) VALUES ($1, '邻居', 'li@neighbour.test') RETURNING id`,
      [other.id],
    );
    const [mb] = await app.ds.query(
      `INSERT INTO mailboxes (tenant_id, member_id, domain_id, local_part) VALUES ($1, $2, $3, 'li') RETURNING id`,
      [other.id, m.id, dom.id],
    );
    await app.ds.query(
      `INSERT INTO addresses (tenant_id, domain_id, local_part, kind, mailbox_id) VALUES ($1, $2, 'li', 'mailbox', $3)`,
      [other.id, dom.id, mb.id],
    );
    const cross = await app.services.outgoing.submit(await message(alice, ['li@neighbour.test']));
    expect(cross).to.deep.include({ queued: 0 });
    const [copy] = await app.ds.query(`SELECT tenant_id FROM messages WHERE id = $1`, [
      cross.localMessageIds[0],
    ]);
    expect(copy.tenant_id).to.equal(other.id);
    const [{ id: gid }] = await app.ds.query(
      `INSERT INTO mail_groups (tenant_id, kind, name, send_policy) VALUES ($1, 'custom', 'team', 'internal') RETURNING id`,
      [other.id],
    );
    await app.ds.query(
      `INSERT INTO addresses (tenant_id, domain_id, local_part, kind, group_id) VALUES ($1, $2, 'team', 'group', $3)`,
      [other.id, dom.id, gid],
    );
    const refused = await failure(
      app.services.outgoing.submit(await message(alice, ['team@neighbour.test'])),
    );
    expect(refused.code).to.equal('mail.recipient_refused');
  });

  it('recipients’ copies (local and queued) carry no Bcc header; the Sent copy keeps it', async () => {
    const node = new MailComposer({
      from: alice.email,
      to: bob.email,
      bcc: [people[2]!.email, 'hidden@example.net'],
      subject: '密送 bcc',
      text: 'x\n',
    }).compile();
    node.keepBcc = true; // as a client's Sent copy would have it
    const raw = await node.build();
    expect(raw.toString()).to.match(/^Bcc: /m);
    const res = await app.services.outgoing.submit({
      ...(await message(alice, [bob.email, people[2]!.email, 'hidden@example.net'])),
      raw,
    });
    const blobOf = async (id: string) =>
      (
        await app.ds.query(
          `SELECT b.content FROM messages m JOIN mail_blobs b ON b.tenant_id = m.tenant_id AND b.sha256 = m.blob_sha256
            WHERE m.tenant_id = $1 AND m.id = $2`,
          [tenantId, id],
        )
      )[0].content.toString();
    expect(await blobOf(res.sentMessageId!)).to.match(/^Bcc: /m);
    for (const id of res.localMessageIds) expect(await blobOf(id)).not.to.match(/^Bcc:/im);
    const [queued] = await app.ds.query(
      `SELECT b.content FROM outbound_queue q JOIN mail_blobs b ON b.tenant_id = q.tenant_id AND b.sha256 = q.blob_sha256
        WHERE q.tenant_id = $1 AND q.subject = '密送 bcc'`,
      [tenantId],
    );
    expect(queued.content.toString()).not.to.match(/^Bcc:/im);
  });

  it('existingMessageId: a draft becomes the Sent copy (moved, seen) instead of a new row; another mailbox’s id is 404', async () => {
    const raw = await compose(alice.email, [bob.email], { subject: '草稿' });
    const draftId = await app.ds.transaction(async (em) => {
      const blob = await putBlob(em, tenantId, raw);
      const drafts = (await systemFolderIds(em, tenantId, [alice.mailbox_id], 'drafts')).get(
        alice.mailbox_id,
      )!;
      const parsed = await parseMessage(raw);
      const [id] = await insertMessages(
        em,
        tenantId,
        blob,
        parsed,
        [{ mailboxId: alice.mailbox_id, folderId: drafts, threadId: '00000000-0000-4000-8000-0000000000aa' }],
        new Date(),
      );
      return id!;
    });
    const res = await app.services.outgoing.submit({
      ...(await message(alice, [bob.email])),
      raw,
      existingMessageId: draftId,
    });
    expect(res.sentMessageId).to.equal(draftId);
    const rows = await app.ds.query(
      `SELECT f.role, m.is_seen FROM messages m JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id
        WHERE m.tenant_id = $1 AND m.mailbox_id = $2 AND m.subject = '草稿'`,
      [tenantId, alice.mailbox_id],
    );
    expect(rows).to.deep.equal([{ role: 'sent', is_seen: true }]);
    const err = await failure(
      app.services.outgoing.submit({ ...(await message(bob, [alice.email])), existingMessageId: draftId }),
    );
    expect(err.status).to.equal(404);
  });
});
