import { expect } from 'chai';
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import MailComposer from 'nodemailer/lib/mail-composer';
import request from 'supertest';
import { LEASE_MS, OutboundWorker } from '../../server/modules/transport';
import { staticResolver, type DnsResolver, type DnsTable } from '../../server/platform/dns/resolver';
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

describe('outbound queue: relay, direct MX, retries, bounces, DKIM, capture', function () {
  this.timeout(60_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let sink: SmtpSink;
  let tenantId: string;
  let alice: Person;
  let bob: Person;
  let adminId: string;
  // Signed at the (manual) clock's time: tests move the clock by days.
  const admin = () => tokenFor(app, tenantId, adminId, ['admin']);
  const dns: DnsTable = {
    'remote.example': { MX: [{ exchange: '127.0.0.1', priority: 10 }] },
    'backup.example': {
      MX: [
        { exchange: 'dead.backup.example', priority: 5 },
        { exchange: 'live.backup.example', priority: 20 },
      ],
    },
    'dead.backup.example': { A: ['127.0.0.2'] },
    'live.backup.example': { A: ['127.0.0.1'] },
    'a-only.example': { A: ['127.0.0.1'] },
    'null-mx.example': { MX: [{ exchange: '.', priority: 0 }] },
  };
  // Re-reads the table on every query, so records published during the test are seen.
  const resolver: DnsResolver = (name, type) => staticResolver(dns)(name, type);

  before(async () => {
    sink = await startSmtpSink({ auth: { user: 'relayuser', pass: 'relay-secret' } });
    app = await startTestApp({ OUTBOUND_MODE: 'deliver', OUTBOUND_MX_PORT: String(sink.port) }, { resolver });
    tenantId = (await createTenant(app, 'outco')).id;
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
    [alice, bob] = await app.ds.query(
      `SELECT m.id, m.email, b.id AS mailbox_id FROM members m JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 ORDER BY m.email LIMIT 2`,
      [tenantId],
    );
    const { member } = await createLocalUser(app, tenantId, { roles: ['admin'] });
    adminId = member.id;
  });
  after(async () => {
    await emulator.close();
    await sink.close();
    await app.close();
  });

  const api = () => request(app.url);
  const compose = (to: string[], subject = '季度报告 Quarterly report', from = alice.email) =>
    new MailComposer({
      from,
      to,
      subject,
      text: '请查收附件。\n',
      messageId: `<${Math.random()}@outco.test>`,
    })
      .compile()
      .build();
  const send = async (to: string[], subject?: string) =>
    app.services.outgoing.submit({
      tenantId,
      mailboxId: alice.mailbox_id,
      envelopeFrom: alice.email,
      recipients: to,
      raw: await compose(to, subject),
      kind: 'user',
    });
  const worker = () => app.services.outboundWorker;
  const queueRows = () =>
    app.ds.query(`SELECT * FROM outbound_queue WHERE tenant_id = $1 ORDER BY created_at, domain`, [tenantId]);
  const inboxOf = (p: Person) =>
    app.ds.query(
      `SELECT m.subject, m.from_address, m.blob_sha256 FROM messages m JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id
        WHERE m.tenant_id = $1 AND m.mailbox_id = $2 AND f.role = 'inbox' ORDER BY m.received_at`,
      [tenantId, p.mailbox_id],
    );
  const setRelay = (body: object) =>
    api().put('/api/v1/admin/relay').set('Authorization', `Bearer ${admin()}`).send(body);

  const useRelay = () =>
    setRelay({
      enabled: true,
      host: '127.0.0.1',
      port: sink.port,
      security: 'none',
      username: 'relayuser',
      password: 'relay-secret',
    });

  afterEach(async () => {
    // Each test starts with an empty queue.
    await app.ds.query(
      `UPDATE outbound_queue SET status = 'sent', finished_at = $2 WHERE tenant_id = $1 AND status = 'queued'`,
      [tenantId, app.clock.now()],
    );
  });

  it('a send keeps a Sent copy, delivers internal copies at once and queues one row per remote domain', async () => {
    const result = await send([bob.email, 'x@remote.example', 'Y@remote.example', 'z@other.example']);
    expect(result.localMessageIds).to.have.length(1);
    expect(result.queued).to.equal(2);
    const [sent] = await app.ds.query(
      `SELECT f.role, m.is_seen FROM messages m JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id
        WHERE m.tenant_id = $1 AND m.id = $2`,
      [tenantId, result.sentMessageId],
    );
    expect(sent).to.deep.equal({ role: 'sent', is_seen: true });
    expect((await inboxOf(bob)).map((m: { subject: string }) => m.subject)).to.include(
      '季度报告 Quarterly report',
    );
    const rows = await queueRows();
    expect(rows.map((r: { domain: string }) => r.domain)).to.deep.equal(['other.example', 'remote.example']);
    expect(rows[1].recipients.map((r: { address: string }) => r.address)).to.deep.equal([
      'x@remote.example',
      'y@remote.example',
    ]);
  });

  it('the relay password is stored sealed and never returned; a bad relay body is a 400', async () => {
    const bad = await setRelay({ enabled: true, host: 'bad host!', port: 99999 });
    expect(bad.status).to.equal(400);
    const res = await setRelay({
      enabled: true,
      host: '127.0.0.1',
      port: sink.port,
      security: 'none',
      username: 'relayuser',
      password: 'relay-secret',
    });
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ hasPassword: true, host: '127.0.0.1' });
    expect(JSON.stringify(res.body)).not.to.include('relay-secret');
    const [{ value }] = await app.ds.query(
      `SELECT value FROM settings WHERE tenant_id = $1 AND key = 'mail.relay'`,
      [tenantId],
    );
    expect(JSON.stringify(value)).not.to.include('relay-secret');
    const get = await api().get('/api/v1/admin/relay').set('Authorization', `Bearer ${admin()}`);
    expect(get.body).to.deep.equal(res.body);
  });

  it('the worker sends through the relay with AUTH, DKIM-signed; the signature verifies against the published record', async () => {
    await useRelay();
    const before = sink.messages.length;
    await send(['x@remote.example'], 'DKIM 测试');
    expect(await worker().runOnce()).to.equal(1);
    const got = sink.messages[before]!;
    expect(got).to.include({ from: alice.email, user: 'relayuser' });
    expect(got.to).to.deep.equal(['x@remote.example']);
    expect(got.raw.toString()).to.match(/^DKIM-Signature: .*d=outco\.test/m);

    const [domain] = await app.ds.query(
      `SELECT id FROM domains WHERE tenant_id = $1 AND name = 'outco.test'`,
      [tenantId],
    );
    const records = await api()
      .get(`/api/v1/admin/domains/${domain.id}/dkim`)
      .set('Authorization', `Bearer ${admin()}`);
    expect(records.status).to.equal(200);
    expect(records.body.dkim.name).to.match(/^orgmail\d{6}\._domainkey\.outco\.test$/);
    expect(records.body.spf.value).to.match(/^v=spf1 /);
    expect(records.body.dmarc.name).to.equal('_dmarc.outco.test');
    const verify = async () =>
      (
        await dkimVerify(got.raw, {
          resolver: staticResolver({ [records.body.dkim.name]: { TXT: [records.body.dkim.value] } }),
        })
      ).results[0]!;
    expect((await verify()).status.result).to.equal('pass');
    const [row] = await queueRows().then((r) =>
      r.filter((x: { status: string; subject: string }) => x.subject === 'DKIM 测试'),
    );
    expect(row).to.include({ status: 'sent', attempts: 1, via: `relay 127.0.0.1:${sink.port}` });

    // After rotation the old record no longer matches what the new key signs.
    const rotated = await api()
      .post(`/api/v1/admin/domains/${domain.id}/dkim/rotate`)
      .set('Authorization', `Bearer ${admin()}`);
    expect(rotated.status).to.equal(200);
    expect(rotated.body.selector).not.to.equal(records.body.selector);
    const other = await createTenant(app, 'dkimother');
    const { member } = await createLocalUser(app, other.id, { roles: ['admin'] });
    const foreign = await api()
      .get(`/api/v1/admin/domains/${domain.id}/dkim`)
      .set('Authorization', `Bearer ${tokenFor(app, other.id, member.id, ['admin'])}`);
    expect(foreign.status).to.equal(404);
  });

  it('a 451 is retried after the back-off (and not before); then it is sent', async () => {
    await useRelay();
    sink.failNext(1, 451, '4.3.0 Greylisted, try again later');
    const before = sink.messages.length;
    await send(['retry@remote.example'], 'retry me');
    expect(await worker().runOnce()).to.equal(1);
    let [row] = (await queueRows()).filter((r: { subject: string }) => r.subject === 'retry me');
    expect(row).to.include({ status: 'queued', attempts: 1 });
    expect(row.last_error).to.include('451');
    expect(new Date(row.next_attempt_at).getTime() - app.clock.now().getTime()).to.be.within(59_000, 61_000);
    expect(await worker().runOnce()).to.equal(0);

    app.clock.advance(61_000);
    expect(await worker().runOnce()).to.equal(1);
    [row] = (await queueRows()).filter((r: { subject: string }) => r.subject === 'retry me');
    expect(row).to.include({ status: 'sent', attempts: 2, blob_sha256: null });
    expect(sink.messages.length).to.equal(before + 1);

    const list = await api().get('/api/v1/admin/outbound').set('Authorization', `Bearer ${admin()}`);
    const item = list.body.items.find((i: { id: string }) => i.id === row.id);
    expect(item).to.include({ status: 'sent', attempts: 2 });
  });

  it('a 550 fails for good and the sender gets a DSN (multipart/report) in the Inbox; bounces are never bounced', async () => {
    await useRelay();
    sink.failNext(1, 550, '5.1.1 <nobody@remote.example>: Recipient address rejected');
    const inboxBefore = (await inboxOf(alice)).length;
    await send(['nobody@remote.example'], 'will bounce');
    await worker().runOnce();
    const [row] = (await queueRows()).filter((r: { subject: string }) => r.subject === 'will bounce');
    expect(row).to.include({ status: 'failed', dsn_sent: true });
    expect(row.recipients[0]).to.include({ status: 'failed', code: 550 });
    const inbox = await inboxOf(alice);
    expect(inbox).to.have.length(inboxBefore + 1);
    const dsn = inbox[inbox.length - 1];
    expect(dsn.from_address).to.equal('mailer-daemon@outco.test');
    const [{ content }] = await app.ds.query(
      `SELECT content FROM mail_blobs WHERE tenant_id = $1 AND sha256 = $2`,
      [tenantId, dsn.blob_sha256],
    );
    const text = content.toString();
    expect(text).to.match(/Content-Type: multipart\/report; report-type=delivery-status/i);
    expect(text).to.include('Final-Recipient: rfc822; nobody@remote.example');
    expect(text).to.include('Status: 5.1.1');
    expect(text).to.include('Subject: will bounce');

    // The null sender (a bounce itself) is never bounced.
    sink.failNext(1, 550);
    await app.services.outgoing.submit({
      tenantId,
      mailboxId: null,
      envelopeFrom: '',
      recipients: ['postmaster@remote.example'],
      raw: await compose(['postmaster@remote.example'], 'a bounce'),
      kind: 'system',
    });
    await worker().runOnce();
    expect(await inboxOf(alice)).to.have.length(inboxBefore + 1);
  });

  it('per-recipient results: one refused (5xx) bounces alone, one deferred (4xx) is retried alone', async () => {
    await useRelay();
    sink.refuseRecipient('gone@remote.example', 550);
    sink.refuseRecipient('busy@remote.example', 452);
    const before = sink.messages.length;
    await send(['ok@remote.example', 'gone@remote.example', 'busy@remote.example'], 'mixed');
    await worker().runOnce();
    let [row] = (await queueRows()).filter((r: { subject: string }) => r.subject === 'mixed');
    const states = () =>
      Object.fromEntries(
        row.recipients.map((r: { address: string; status: string }) => [r.address, r.status]),
      );
    expect(row.status).to.equal('queued');
    expect(states()).to.deep.equal({
      'ok@remote.example': 'sent',
      'gone@remote.example': 'failed',
      'busy@remote.example': 'pending',
    });
    expect(row.dsn_sent).to.equal(true);
    expect(sink.messages[before]!.to).to.deep.equal(['ok@remote.example']);

    sink.refuseRecipient('busy@remote.example', 250); // accepted from now on
    app.clock.advance(61_000);
    await worker().runOnce();
    [row] = (await queueRows()).filter((r: { subject: string }) => r.subject === 'mixed');
    expect(states()['busy@remote.example']).to.equal('sent');
    expect(row.status).to.equal('failed'); // finished, with one recipient failed
    expect(row.blob_sha256).to.not.equal(null); // kept for a retry
    expect(sink.messages[before + 1]!.to).to.deep.equal(['busy@remote.example']);
  });

  it('temporary failures stop after 5 days with a bounce; an admin can retry a failed item', async () => {
    await useRelay();
    sink.failNext(2, 421, '4.4.2 Connection dropped');
    await send(['slow@remote.example'], 'slow domain');
    await worker().runOnce();
    app.clock.advance(5 * 86_400_000 + 1000);
    await worker().runOnce();
    let [row] = (await queueRows()).filter((r: { subject: string }) => r.subject === 'slow domain');
    expect(row).to.include({ status: 'failed', attempts: 2, dsn_sent: true });
    expect(row.recipients[0].response).to.match(/^gave up after 5 days/);

    const retry = await api()
      .post(`/api/v1/admin/outbound/${row.id}/retry`)
      .set('Authorization', `Bearer ${admin()}`);
    expect(retry.status).to.equal(200);
    expect(retry.body.status).to.equal('queued');
    await worker().runOnce();
    [row] = (await queueRows()).filter((r: { subject: string }) => r.subject === 'slow domain');
    expect(row.status).to.equal('sent');
    const again = await api()
      .post(`/api/v1/admin/outbound/${row.id}/retry`)
      .set('Authorization', `Bearer ${admin()}`);
    expect(again.status).to.equal(409);
    const missing = await api()
      .post('/api/v1/admin/outbound/00000000-0000-4000-8000-000000000000/retry')
      .set('Authorization', `Bearer ${admin()}`);
    expect(missing.status).to.equal(404);
  });

  it('the queue survives a restart: a dead worker’s claim is taken over after the lease', async () => {
    await useRelay();
    await send(['restart@remote.example'], 'survives restart');
    // A worker claims the row and dies before sending.
    const claimed = await app.services.outboundQueue.claim(app.clock.now(), 10);
    expect(claimed).to.have.length(1);
    const fresh = new OutboundWorker({
      queue: app.services.outboundQueue,
      relay: app.services.relay,
      dkim: app.services.dkim,
      capture: app.services.mailCapture,
      outgoing: app.services.outgoing,
      resolver,
      clock: app.clock,
      logger: createLogger({ level: 'silent' }),
      mode: 'deliver',
      hostname: 'mx.outco.test',
      mxPort: sink.port,
    });
    expect(await fresh.runOnce()).to.equal(0);
    app.clock.advance(LEASE_MS + 1000);
    const before = sink.messages.length;
    expect(await fresh.runOnce()).to.equal(1);
    expect(sink.messages.length).to.equal(before + 1);

    // Two workers at once (two replicas) never send the same row twice.
    for (let i = 0; i < 6; i++) await send([`p${i}@remote.example`], `parallel ${i}`);
    const counts = await Promise.all([fresh.runOnce(), worker().runOnce(), fresh.runOnce()]);
    expect(counts.reduce((a, b) => a + b, 0)).to.equal(6);
    expect(sink.messages.length).to.equal(before + 7);
    // Finished rows are pruned after 30 days; queued ones never.
    await send(['stays@remote.example'], 'still queued');
    app.clock.advance(31 * 86_400_000);
    expect(await fresh.prune()).to.be.greaterThan(5);
    const left = await queueRows();
    expect(left.map((r: { subject: string }) => r.subject)).to.include('still queued');
    expect(left.every((r: { status: string }) => r.status === 'queued')).to.equal(true);
    // started and stopped like the runtime does
    fresh.start(60_000);
    await fresh.stop();
  });

  it('without a relay it goes straight to the MX (by priority, next host when one is unreachable); a domain without DNS bounces', async () => {
    await setRelay({ enabled: false });
    const before = sink.messages.length;
    await send(['direct@remote.example', 'other@backup.example', 'third@a-only.example'], 'direct');
    await worker().runOnce();
    expect(sink.messages.length).to.equal(before + 3);
    const rows = (await queueRows()).filter((r: { subject: string }) => r.subject === 'direct');
    expect(rows.map((r: { via: string; status: string }) => [r.via, r.status])).to.have.deep.members([
      ['mx 127.0.0.1', 'sent'],
      ['mx live.backup.example', 'sent'],
      ['mx a-only.example', 'sent'],
    ]);

    const inboxBefore = (await inboxOf(alice)).length;
    await send(['someone@no-such-domain.example', 'x@null-mx.example'], 'no dns');
    await worker().runOnce();
    const rows2 = (await queueRows()).filter((r: { subject: string }) => r.subject === 'no dns');
    expect(
      rows2.map((r: { status: string; last_error: string }) => [r.status, r.last_error]),
    ).to.have.deep.members([
      ['failed', '5.1.2 Domain no-such-domain.example does not exist'],
      ['failed', '5.1.10 null-mx.example does not accept mail (null MX)'],
    ]);
    expect(await inboxOf(alice)).to.have.length(inboxBefore + 2);
  });

  it('capture mode keeps external mail in the captured list (signed) and sends nothing', async () => {
    await setRelay({ enabled: false });
    const capture = new OutboundWorker({
      queue: app.services.outboundQueue,
      relay: app.services.relay,
      dkim: app.services.dkim,
      capture: app.services.mailCapture,
      outgoing: app.services.outgoing,
      resolver: () => Promise.reject(new Error('capture mode must not query DNS')),
      clock: app.clock,
      logger: createLogger({ level: 'silent' }),
      mode: 'capture',
      hostname: 'mx.outco.test',
      mxPort: 1,
    });
    const before = sink.messages.length;
    await send(['captured@remote.example'], '只在本机 captured');
    expect(await capture.runOnce()).to.equal(1);
    expect(sink.messages.length).to.equal(before);
    const [row] = (await queueRows()).filter((r: { subject: string }) => r.subject === '只在本机 captured');
    expect(row.status).to.equal('captured');
    const list = await api().get('/api/v1/admin/outbound/captured').set('Authorization', `Bearer ${admin()}`);
    expect(list.status).to.equal(200);
    const item = list.body.items.find((i: { subject: string }) => i.subject === '只在本机 captured');
    expect(item.recipients).to.deep.equal(['captured@remote.example']);
    const raw = await api()
      .get(`/api/v1/admin/outbound/captured/${item.id}/raw`)
      .set('Authorization', `Bearer ${admin()}`)
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(raw.status).to.equal(200);
    expect((raw.body as Buffer).toString()).to.match(/^DKIM-Signature:/m);
    const employee = tokenFor(app, tenantId, alice.id, ['employee']);
    const denied = await api()
      .get('/api/v1/admin/outbound/captured')
      .set('Authorization', `Bearer ${employee}`);
    expect(denied.status).to.equal(403);
  });
});
