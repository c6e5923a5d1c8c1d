import { expect } from 'chai';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import type { DeliveryTarget } from '../../server/modules/mailboxes';
import { createTenant, tokenFor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

const DAY = 86_400_000;

describe('inbound: vacation auto-reply (RFC 3834)', function () {
  this.timeout(60_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let tenantId: string;
  let bob: { member_id: string; mailbox_id: string; email: string };
  let carol: { member_id: string; mailbox_id: string; email: string };

  before(async () => {
    app = await startTestApp();
    app.clock.set(new Date('2026-12-01T02:00:00Z')); // 10:00 in Shanghai
    tenantId = (await createTenant(app, 'vacco')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 4,
      depth: 1,
      seed: 5,
    });
    emulator.setCallback(undefined);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    [bob, carol] = await app.ds.query(
      `SELECT m.id AS member_id, b.id AS mailbox_id, m.email FROM members m
         JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 ORDER BY m.email LIMIT 2`,
      [tenantId],
    );
  });
  after(async () => {
    await emulator.close();
    await app.close();
  });

  // Minted per call: tests move the clock, and tokens expire by it.
  const api = (
    method: string,
    body?: unknown,
    token = tokenFor(app, tenantId, bob.member_id, ['employee']),
  ) =>
    fetch(`${app.url}/api/v1/mail/auto-reply`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  async function target(mailboxId: string): Promise<DeliveryTarget> {
    return { mailboxId, memberId: null, status: 'active', quotaBytes: 1e12, usedBytes: 0 };
  }

  /** Delivers to bob as the MX would, then waits for the auto-reply listener. */
  async function mailToBob(
    from: string,
    headers: Record<string, string> = {},
    subject = '合同草案',
  ): Promise<void> {
    const extra = Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    const raw = Buffer.from(
      `From: ${from}\r\nTo: ${bob.email}\r\nSubject: ${subject}\r\nMessage-ID: <m${Math.random()}@x.example>\r\n${extra}\r\n请看附件\r\n`,
    );
    await app.services.delivery.deliver({
      tenantId,
      raw,
      targets: [await target(bob.mailbox_id)],
      source: 'smtp',
      envelopeFrom: /<([^>]+)>/.exec(from)?.[1] ?? from,
    });
    await app.services.autoReplies.idle();
  }

  async function repliesTo(address: string): Promise<{ raw: string }[]> {
    return app.ds.query(
      `SELECT convert_from(b.content, 'UTF8') AS raw FROM outbound_queue q
         JOIN mail_blobs b ON b.tenant_id = q.tenant_id AND b.sha256 = q.blob_sha256
        WHERE q.tenant_id = $1 AND q.kind = 'auto' AND q.mailbox_id = $2 AND q.recipients::text LIKE $3`,
      [tenantId, bob.mailbox_id, `%${address}%`],
    );
  }

  it('GET shows a disabled default; PUT validates (400) and saves', async () => {
    const initial = await (await api('GET')).json();
    expect(initial).to.deep.include({
      enabled: false,
      body: '',
      timeZone: 'Asia/Shanghai',
      activeNow: false,
    });
    expect((await api('PUT', { enabled: true, body: '' })).status).to.equal(400);
    expect(
      (await api('PUT', { enabled: true, body: 'x', startDate: '2026-12-09', endDate: '2026-12-01' })).status,
    ).to.equal(400);
    expect((await api('PUT', { enabled: true, body: 'x', startDate: '12/01/2026' })).status).to.equal(400);
    const saved = await api('PUT', {
      enabled: true,
      startDate: '2026-12-01',
      endDate: '2026-12-10',
      body: '我在休假，12 月 11 日回来。',
    });
    expect(saved.status).to.equal(200);
    expect(await saved.json()).to.deep.include({ enabled: true, activeNow: true, subject: null });
    // Without a token: 401; the setting is per person (carol sees her own, still disabled).
    expect((await fetch(`${app.url}/api/v1/mail/auto-reply`)).status).to.equal(401);
    const carols = await (
      await api('GET', undefined, tokenFor(app, tenantId, carol.member_id, ['employee']))
    ).json();
    expect(carols).to.include({ enabled: false });
  });

  it('answers a sender once per 4 days, threaded, with the null sender and Auto-Submitted', async () => {
    await mailToBob('Partner <partner@ext.example>');
    const [reply] = await repliesTo('partner@ext.example');
    expect(reply, 'one auto-reply queued').to.not.equal(undefined);
    expect(reply!.raw).to.match(/^Auto-Submitted: auto-replied$/m);
    expect(reply!.raw).to.match(/^In-Reply-To: <m[0-9.]+@x\.example>$/m);
    expect(reply!.raw).to.match(/^References: <m[0-9.]+@x\.example>$/m);
    expect(reply!.raw).to.match(/^Subject: =\?UTF-8\?/m); // "自动回复: 合同草案", encoded
    const [queued] = await app.ds.query(
      `SELECT envelope_from FROM outbound_queue WHERE tenant_id = $1 AND kind = 'auto' AND mailbox_id = $2`,
      [tenantId, bob.mailbox_id],
    );
    expect(queued.envelope_from).to.equal('');

    await mailToBob('partner@ext.example');
    app.clock.advance(3 * DAY);
    await mailToBob('partner@ext.example');
    expect(await repliesTo('partner@ext.example')).to.have.length(1);
    app.clock.advance(1 * DAY + 60_000);
    await mailToBob('partner@ext.example');
    expect(await repliesTo('partner@ext.example')).to.have.length(2);
  });

  it('never answers lists, bulk, automatic mail, robots or the null sender', async () => {
    await mailToBob('news@list.example', { 'List-Id': '<news.list.example>' });
    await mailToBob('bulk@bulk.example', { Precedence: 'bulk' });
    await mailToBob('robot@auto.example', { 'Auto-Submitted': 'auto-generated' });
    await mailToBob('noreply@shop.example');
    await mailToBob('MAILER-DAEMON@mx.example');
    for (const a of ['news@list', 'bulk@bulk', 'robot@auto', 'noreply@shop', 'mailer-daemon@mx'])
      expect(await repliesTo(a), a).to.have.length(0);
    const raw = Buffer.from(`From: x@bounce.example\r\nSubject: bounce\r\n\r\nx\r\n`);
    await app.services.delivery.deliver({
      tenantId,
      raw,
      targets: [await target(bob.mailbox_id)],
      envelopeFrom: '',
    });
    await app.services.autoReplies.idle();
    expect(await repliesTo('bounce.example')).to.have.length(0);
  });

  it('not for mail landing in Junk', async () => {
    await app.services.delivery.deliver({
      tenantId,
      raw: Buffer.from(`From: spammer@junk.example\r\nSubject: win\r\n\r\nx\r\n`),
      targets: [await target(bob.mailbox_id)],
      envelopeFrom: 'spammer@junk.example',
      verdict: { spam: true, score: 9, reasons: ['score'] },
    });
    await app.services.autoReplies.idle();
    expect(await repliesTo('spammer@junk.example')).to.have.length(0);
  });

  it('not outside the dates (in the organization time zone), and internal-only when set', async () => {
    app.clock.set(new Date('2026-12-10T15:59:00Z')); // 23:59 on the 10th in Shanghai: still on
    await mailToBob('late@ext.example');
    expect(await repliesTo('late@ext.example')).to.have.length(1);
    app.clock.set(new Date('2026-12-10T16:01:00Z')); // 00:01 on the 11th: back at work
    await mailToBob('after@ext.example');
    expect(await repliesTo('after@ext.example')).to.have.length(0);
    expect(await (await api('GET')).json()).to.include({ activeNow: false });

    await api('PUT', { enabled: true, body: '内部自动回复', internalOnly: true });
    await mailToBob('outsider@ext.example');
    expect(await repliesTo('outsider@ext.example')).to.have.length(0);
    await mailToBob(carol.email);
    // An internal sender gets the reply in their Inbox (local delivery, nothing queued).
    const inCarols = await app.ds.query(
      `SELECT m.subject FROM messages m JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id
        WHERE m.tenant_id = $1 AND m.mailbox_id = $2 AND f.role = 'inbox'`,
      [tenantId, carol.mailbox_id],
    );
    expect(inCarols).to.deep.equal([{ subject: '自动回复: 合同草案' }]);
    await api('PUT', { enabled: false, body: '' });
  });
});
