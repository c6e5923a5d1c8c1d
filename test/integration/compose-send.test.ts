import { expect } from 'chai';
import { simpleParser } from 'mailparser';
import { SendDispatcher } from '../../server/modules/scheduling';
import { createLogger } from '../../server/platform/logger';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createTenant, tokenFor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

interface Person {
  member_id: string;
  email: string;
  mailbox_id: string;
  display_name: string;
  token: string;
}

const FILENAME = '采购合同（第二版）.pdf';

describe('compose: uploads, drafts, send, reply/forward, undo and scheduled sends', function () {
  this.timeout(60_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let tenantId: string;
  let a: Person;
  let b: Person;
  let c: Person;
  let outsider: Person;
  let dispatcher: SendDispatcher;

  async function api(token: string, method: string, path: string, body?: unknown) {
    const res = await fetch(`${app.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  async function people(tid: string, n: number): Promise<Person[]> {
    const rows = await app.ds.query(
      `SELECT m.id AS member_id, m.email, m.display_name, b.id AS mailbox_id FROM members m
         JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 AND m.status = 'active' ORDER BY m.email LIMIT $2`,
      [tid, n],
    );
    return rows.map((r: Person) => ({ ...r, token: tokenFor(app, tid, r.member_id, ['employee']) }));
  }

  async function inbox(p: Person) {
    return app.ds.query(
      `SELECT m.id, m.subject, m.attachments, m.is_answered, m.message_id, m.in_reply_to, bl.content FROM messages m
         JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id
         JOIN mail_blobs bl ON bl.tenant_id = m.tenant_id AND bl.sha256 = m.blob_sha256
        WHERE m.tenant_id = $1 AND m.mailbox_id = $2 AND f.role = 'inbox' ORDER BY m.received_at`,
      [tenantId, p.mailbox_id],
    );
  }

  async function folderOf(messageId: string): Promise<string> {
    const [row] = await app.ds.query(
      `SELECT f.role FROM messages m JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id
        WHERE m.tenant_id = $1 AND m.id = $2`,
      [tenantId, messageId],
    );
    return row?.role;
  }

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'composeco')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 12,
      depth: 2,
      seed: 5,
    });
    emulator.setCallback(undefined);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    [a, b, c] = await people(tenantId, 3);
    // another tenant's employee with a mailbox
    const other = (await createTenant(app, 'otherco')).id;
    const [m] = await app.ds.query(
      `INSERT INTO members (tenant_id, display_name, email, roles) VALUES ($1, '外人', 'x@otherco.test', '{employee}') RETURNING id`,
      [other],
    );
    const [dom] = await app.ds.query(`SELECT id FROM domains WHERE tenant_id = $1`, [other]);
    await app.ds.query(
      `INSERT INTO mailboxes (tenant_id, member_id, domain_id, local_part) VALUES ($1, $2, $3, 'x')`,
      [other, m.id, dom.id],
    );
    [outsider] = await people(other, 1);
    dispatcher = new SendDispatcher({
      ds: app.ds,
      clock: app.clock,
      outgoing: app.services.outgoing,
      drafts: app.services.drafts,
      notifier: app.services.notifier,
      logger: createLogger({ level: 'silent' }),
    });
  });
  after(async () => {
    await emulator.close();
    await app.close();
  });

  async function upload(p: Person, name: string, content: Buffer, type = 'application/pdf') {
    const res = await fetch(`${app.url}/api/v1/mail/uploads`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${p.token}`,
        'content-type': type,
        'x-filename': encodeURIComponent(name),
      },
      body: content,
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  async function dispatch() {
    return dispatcher.tick();
  }

  it('uploads a file with a Chinese name and sends it to a colleague, who gets the name intact', async () => {
    const content = Buffer.alloc(300_000, 7);
    const up = await upload(a, FILENAME, content);
    expect(up.status).to.equal(201);
    expect(up.body).to.include({ filename: FILENAME, size: content.length });

    const sent = await api(a.token, 'POST', '/mail/send', {
      to: [{ name: '收件人', address: b.email }],
      bcc: [{ address: c.email }],
      subject: '合同请查收',
      text: '你好，附件是合同。',
      html: '<p>你好<script>alert(1)</script></p>',
      attachments: [{ uploadId: up.body.id }],
    });
    expect(sent.status).to.equal(202);
    expect(sent.body.kind).to.equal('undo');
    expect(new Date(sent.body.dueAt).getTime() - app.clock.now().getTime()).to.equal(10_000);
    expect(await folderOf(sent.body.messageId)).to.equal('scheduled');

    // inside the undo window nothing goes
    expect((await dispatch()).sent).to.equal(0);
    expect(await inbox(b)).to.have.length(0);
    app.clock.advance(10_001);
    expect((await dispatch()).sent).to.equal(1);

    const [got] = await inbox(b);
    expect(got.subject).to.equal('合同请查收');
    expect(got.attachments[0].filename).to.equal(FILENAME);
    const parsed = await simpleParser(got.content);
    expect(parsed.attachments[0]!.filename).to.equal(FILENAME);
    expect(parsed.attachments[0]!.content.equals(content)).to.equal(true);
    expect(parsed.headers.has('bcc')).to.equal(false);
    expect(parsed.from!.value[0]!.name).to.equal(a.display_name);
    expect(parsed.messageId).to.match(/@composeco\.test>$/);
    expect(parsed.html || '').to.not.include('<script');
    // the Bcc recipient got it too, without seeing the header
    const [bccCopy] = await inbox(c);
    expect((await simpleParser(bccCopy.content)).headers.has('bcc')).to.equal(false);
    expect(await folderOf(sent.body.messageId)).to.equal('sent');
    const [row] = await app.ds.query(`SELECT status, is_late FROM scheduled_sends WHERE id = $1`, [
      sent.body.scheduledId,
    ]);
    expect(row).to.deep.equal({ status: 'sent', is_late: false });
  });

  it("another member's upload, draft or scheduled send is 404; so is another tenant's", async () => {
    const up = await upload(a, 'a.txt', Buffer.from('x'), 'text/plain');
    const useIt = await api(b.token, 'POST', '/mail/drafts', {
      to: [],
      attachments: [{ uploadId: up.body.id }],
    });
    expect(useIt.status).to.equal(404);
    const draft = await api(a.token, 'POST', '/mail/drafts', { to: [{ address: b.email }], subject: '草稿' });
    expect(draft.status).to.equal(201);
    for (const p of [b, outsider]) {
      expect((await api(p.token, 'GET', `/mail/drafts/${draft.body.id}`)).status).to.equal(404);
      expect((await api(p.token, 'DELETE', `/mail/drafts/${draft.body.id}`)).status).to.equal(404);
      expect((await api(p.token, 'POST', '/mail/send', { draftId: draft.body.id })).status).to.equal(404);
    }
    const queued = await api(a.token, 'POST', '/mail/send', { draftId: draft.body.id, version: 1 });
    expect(queued.status).to.equal(202);
    for (const p of [b, outsider]) {
      const id = queued.body.scheduledId;
      expect((await api(p.token, 'GET', `/mail/scheduled/${id}`)).status).to.equal(404);
      expect((await api(p.token, 'POST', `/mail/scheduled/${id}/cancel`)).status).to.equal(404);
      expect((await api(p.token, 'POST', `/mail/scheduled/${id}/send-now`)).status).to.equal(404);
    }
    expect((await api(a.token, 'POST', `/mail/scheduled/${queued.body.scheduledId}/cancel`)).status).to.equal(
      200,
    );
  });

  it('autosaves drafts with versions: a stale version is a 409, nothing lost', async () => {
    const created = await api(a.token, 'POST', '/mail/drafts', {
      to: [{ address: b.email }],
      subject: '周报',
    });
    expect(created.body.version).to.equal(1);
    const v2 = await api(a.token, 'PUT', `/mail/drafts/${created.body.id}`, {
      version: 1,
      to: [{ address: b.email }],
      bcc: [{ address: c.email }],
      subject: '周报（第 47 周）',
      text: '第一段',
    });
    expect(v2.status).to.equal(200);
    expect(v2.body).to.include({ version: 2, subject: '周报（第 47 周）', text: '第一段' });
    const stale = await api(a.token, 'PUT', `/mail/drafts/${created.body.id}`, {
      version: 1,
      subject: '旧的',
    });
    expect(stale.status).to.equal(409);
    expect(stale.body.error.details.currentVersion).to.equal(2);
    const read = await api(a.token, 'GET', `/mail/drafts/${created.body.id}`);
    expect(read.body.subject).to.equal('周报（第 47 周）');
    expect(read.body.bcc).to.deep.equal([{ address: c.email }]);
    expect(await folderOf(created.body.id)).to.equal('drafts');
    expect((await api(a.token, 'DELETE', `/mail/drafts/${created.body.id}`)).status).to.equal(204);
    expect((await api(a.token, 'GET', `/mail/drafts/${created.body.id}`)).status).to.equal(404);
  });

  it('reply, reply-all and forward: recipients, subject prefixes, threading headers, attachments', async () => {
    // c writes to a, cc b (and cc a again): a replies to all
    await app.services.sendPreferences.set(
      { tenantId, memberId: c.member_id, roles: ['employee'], scope: 'full' },
      { seconds: 0 },
    );
    const orig = await api(c.token, 'POST', '/mail/send', {
      to: [{ address: a.email }],
      cc: [{ address: b.email }, { address: a.email.toUpperCase() }],
      subject: '回复: 项目进度',
      text: '第一行\n第二行',
      attachments: [
        {
          uploadId: (await upload(c, '进度表.xlsx', Buffer.from('sheet'), 'application/vnd.ms-excel')).body
            .id,
        },
      ],
    });
    expect(orig.status).to.equal(202);
    await dispatch();
    const received = (await inbox(a)).find((m: { subject: string }) => m.subject === '回复: 项目进度');
    expect(received).to.not.equal(undefined);

    const replyAll = await api(a.token, 'POST', '/mail/drafts', {
      replyTo: { messageId: received.id, mode: 'replyAll' },
    });
    expect(replyAll.status).to.equal(201);
    expect(replyAll.body.subject).to.equal('回复: 项目进度');
    expect(replyAll.body.to.map((r: { address: string }) => r.address)).to.deep.equal([c.email]);
    expect(replyAll.body.cc.map((r: { address: string }) => r.address)).to.deep.equal([b.email]);
    expect(replyAll.body.text).to.include('> 第一行');

    const reply = await api(a.token, 'POST', '/mail/drafts', {
      replyTo: { messageId: received.id, mode: 'reply' },
    });
    expect(reply.body.to.map((r: { address: string }) => r.address)).to.deep.equal([c.email]);
    expect(reply.body.cc).to.deep.equal([]);

    const sent = await api(a.token, 'POST', '/mail/send', { draftId: replyAll.body.id, text: '收到' });
    expect(sent.status).to.equal(202);
    app.clock.advance(10_001);
    await dispatch();
    const [answered] = await app.ds.query(`SELECT is_answered FROM messages WHERE id = $1`, [received.id]);
    expect(answered.is_answered).to.equal(true);
    const back = (await inbox(c)).find((m: { in_reply_to: string }) => m.in_reply_to === received.message_id);
    expect(back).to.not.equal(undefined);
    const parsedBack = await simpleParser(back.content);
    expect(parsedBack.inReplyTo).to.equal(`<${received.message_id}>`);
    expect(String(parsedBack.references)).to.include(received.message_id);

    const fwd = await api(a.token, 'POST', '/mail/drafts', {
      forwardOf: received.id,
      to: [{ address: b.email }],
    });
    expect(fwd.body.subject).to.equal('Fwd: 回复: 项目进度');
    expect(fwd.body.attachments.map((x: { filename: string }) => x.filename)).to.deep.equal(['进度表.xlsx']);
    expect(fwd.body.text).to.include('转发的邮件');
    const again = await api(a.token, 'POST', '/mail/drafts', {
      replyTo: { messageId: back ? received.id : received.id, mode: 'reply' },
      subject: '',
    });
    expect(again.body.subject).to.not.match(/^Re: 回复/);
  });

  it('validates sendAt: under a minute, over a year, bad time zone, nonsense → 400', async () => {
    const now = app.clock.now().getTime();
    const base = { to: [{ address: b.email }], subject: '定时' };
    for (const [sendAt, timeZone] of [
      [new Date(now + 30_000).toISOString(), undefined],
      [new Date(now + 400 * 86_400_000).toISOString(), undefined],
      ['2030-01-01T09:00', 'Mars/Olympus'],
      ['tomorrow morning', undefined],
    ] as const) {
      const res = await api(a.token, 'POST', '/mail/send', { ...base, sendAt, timeZone });
      expect(res.status, `${sendAt} ${timeZone}`).to.equal(400);
      expect(res.body.error.code).to.equal('mail.send_at_invalid');
    }
    // a local time is read in the given zone
    const local = new Date(now + 2 * 86_400_000);
    const day = local.toISOString().slice(0, 10);
    const ok = await api(a.token, 'POST', '/mail/send', {
      ...base,
      sendAt: `${day}T09:00`,
      timeZone: 'Asia/Shanghai',
    });
    expect(ok.status).to.equal(202);
    expect(ok.body.dueAt).to.equal(new Date(`${day}T01:00:00.000Z`).toISOString());
    expect(ok.body.kind).to.equal('scheduled');
    await api(a.token, 'POST', `/mail/scheduled/${ok.body.scheduledId}/cancel`);
  });

  it('undo inside the window: back to Drafts, nothing delivered; after the send, undo is a 409', async () => {
    const before = (await inbox(b)).length;
    const sent = await api(a.token, 'POST', '/mail/send', { to: [{ address: b.email }], subject: '撤回我' });
    const undone = await api(a.token, 'POST', `/mail/scheduled/${sent.body.scheduledId}/cancel`);
    expect(undone.status).to.equal(200);
    expect(undone.body.status).to.equal('cancelled');
    expect(await folderOf(sent.body.messageId)).to.equal('drafts');
    app.clock.advance(60_000);
    await dispatch();
    expect(await inbox(b)).to.have.length(before);

    const again = await api(a.token, 'POST', '/mail/send', { draftId: sent.body.messageId });
    expect(again.status).to.equal(202);
    app.clock.advance(10_001);
    await dispatch();
    expect(await inbox(b)).to.have.length(before + 1);
    const late = await api(a.token, 'POST', `/mail/scheduled/${again.body.scheduledId}/cancel`);
    expect(late.status).to.equal(409);
    expect(late.body.error.code).to.equal('mail.scheduled_not_queued');
  });

  it('scheduled: list, reschedule, edit content, send now; overdue sends go out marked late', async () => {
    const inAnHour = new Date(app.clock.now().getTime() + 3_600_000).toISOString();
    const s = await api(a.token, 'POST', '/mail/send', {
      to: [{ address: b.email }],
      subject: '会议纪要',
      sendAt: inAnHour,
    });
    expect(s.status).to.equal(202);
    const list = await api(a.token, 'GET', '/mail/scheduled?status=queued');
    expect(list.body.items.map((i: { id: string }) => i.id)).to.include(s.body.scheduledId);

    const later = new Date(app.clock.now().getTime() + 7_200_000).toISOString();
    const moved = await api(a.token, 'PATCH', `/mail/scheduled/${s.body.scheduledId}`, { sendAt: later });
    expect(moved.body.dueAt).to.equal(later);
    const draft = await api(a.token, 'GET', `/mail/drafts/${s.body.messageId}`);
    expect(draft.body.folder).to.equal('scheduled');
    const edited = await api(a.token, 'PUT', `/mail/scheduled/${s.body.scheduledId}/content`, {
      version: draft.body.version,
      to: [{ address: b.email }],
      subject: '会议纪要（修订）',
    });
    expect(edited.status).to.equal(200);
    expect((await dispatch()).sent).to.equal(0);
    const now = await api(a.token, 'POST', `/mail/scheduled/${s.body.scheduledId}/send-now`);
    expect(now.status).to.equal(200);
    expect((await dispatch()).sent).to.equal(1);
    expect((await inbox(b)).some((m: { subject: string }) => m.subject === '会议纪要（修订）')).to.equal(
      true,
    );

    // downtime: due in two minutes, the dispatcher only runs ten minutes later
    const soon = new Date(app.clock.now().getTime() + 120_000).toISOString();
    const overdue = await api(a.token, 'POST', '/mail/send', {
      to: [{ address: b.email }],
      subject: '迟到',
      sendAt: soon,
    });
    app.clock.advance(600_000);
    await dispatch();
    const got = await api(a.token, 'GET', `/mail/scheduled/${overdue.body.scheduledId}`);
    expect(got.body).to.include({ status: 'sent', late: true });
  });

  it('undo-send preference: 0–30 s, validated', async () => {
    expect((await api(b.token, 'GET', '/mail/preferences/undo-send')).body).to.deep.equal({ seconds: 10 });
    expect((await api(b.token, 'PUT', '/mail/preferences/undo-send', { seconds: 31 })).status).to.equal(400);
    expect((await api(b.token, 'PUT', '/mail/preferences/undo-send', { seconds: 5 })).body).to.deep.equal({
      seconds: 5,
    });
    const sent = await api(b.token, 'POST', '/mail/send', { to: [{ address: a.email }], subject: 'x' });
    expect(new Date(sent.body.dueAt).getTime() - app.clock.now().getTime()).to.equal(5_000);
  });

  it('bad input: no recipients, unknown draft, a file over the limit', async () => {
    const none = await api(a.token, 'POST', '/mail/send', { subject: '无人' });
    expect(none.status).to.equal(400);
    expect(
      (await api(a.token, 'POST', '/mail/send', { draftId: '00000000-0000-4000-8000-000000000000' })).status,
    ).to.equal(404);
    await app.ds.query(
      `INSERT INTO settings (tenant_id, key, value) VALUES ($1, 'mail.send_policy', '{"maxAttachmentBytes": 2048}')
       ON CONFLICT (tenant_id, key) DO UPDATE SET value = EXCLUDED.value`,
      [tenantId],
    );
    const big = await upload(a, '大文件.bin', Buffer.alloc(4096, 1), 'application/octet-stream');
    expect(big.status).to.equal(413);
    await app.ds.query(`DELETE FROM settings WHERE tenant_id = $1 AND key = 'mail.send_policy'`, [tenantId]);
    const noName = await fetch(`${app.url}/api/v1/mail/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.token}`, 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(noName.status).to.equal(400);

    // far past the 1 MB JSON body limit: the upload route reads its own raw body
    const large = await upload(
      a,
      '设计稿.psd',
      Buffer.alloc(8 * 1024 * 1024, 3),
      'image/vnd.adobe.photoshop',
    );
    expect(large.status).to.equal(201);
    expect(large.body.size).to.equal(8 * 1024 * 1024);

    // uploads expire after a day; the cleanup deletes them and they can no longer be attached
    const old = await upload(a, '过期.txt', Buffer.from('old'), 'text/plain');
    app.clock.advance(25 * 3_600_000);
    expect(await app.services.uploads.cleanupExpired()).to.be.greaterThan(0);
    const fresh = tokenFor(app, tenantId, a.member_id, ['employee']);
    const gone = await api(fresh, 'POST', '/mail/drafts', { attachments: [{ uploadId: old.body.id }] });
    expect(gone.status).to.equal(404);
  });
});
