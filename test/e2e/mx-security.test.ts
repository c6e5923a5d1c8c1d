import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import nodemailer from 'nodemailer';
import { loadMxTls, startMx, type RunningMx } from '../../server/modules/transport';
import { staticResolver } from '../../server/platform/dns/resolver';
import { createLogger } from '../../server/platform/logger';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createLocalUser, createTenant, tokenFor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

// A DKIM key for signed.example, published in the static DNS table below.
const dkimKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const dkimPublic = dkimKeys.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const dkimPrivate = dkimKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** The "internet" as the MX sees it here (the client connects from 127.0.0.1). */
const DNS = staticResolver({
  'spf-pass.example': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
  'spf-fail.example': { TXT: ['v=spf1 ip4:192.0.2.1 -all'] },
  'signed.example': { TXT: ['v=spf1 ip4:192.0.2.1 ~all'] },
  'sel1._domainkey.signed.example': { TXT: [`v=DKIM1; k=rsa; p=${dkimPublic}`] },
  'dmarc-reject.example': { TXT: ['v=spf1 ip4:192.0.2.1 -all'] },
  '_dmarc.dmarc-reject.example': { TXT: ['v=DMARC1; p=reject'] },
  'dmarc-quarantine.example': { TXT: ['v=spf1 ip4:192.0.2.1 -all'] },
  '_dmarc.dmarc-quarantine.example': { TXT: ['v=DMARC1; p=quarantine'] },
});

type SmtpError = { responseCode?: number; response?: string };

describe('MX security: STARTTLS, SPF/DKIM/DMARC, spam verdict and sender lists', function () {
  this.timeout(60_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let mx: RunningMx;
  let tenantId: string;
  let bob: { email: string; mailbox_id: string };
  let tlsDir: string;
  let adminToken: string;

  before(async () => {
    app = await startTestApp({ SMTP_HOSTNAME: 'mx.test' }, { resolver: DNS });
    tlsDir = mkdtempSync(path.join(os.tmpdir(), 'mx-tls-'));
    tenantId = (await createTenant(app, 'secco')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 6,
      depth: 1,
      seed: 3,
    });
    emulator.setCallback(undefined);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    [bob] = await app.ds.query(
      `SELECT m.email, b.id AS mailbox_id FROM members m JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 ORDER BY m.email LIMIT 1`,
      [tenantId],
    );
    const admin = await createLocalUser(app, tenantId, { roles: ['admin'] });
    adminToken = tokenFor(app, tenantId, admin.member.id, ['admin']);
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
    await mx.close();
    await emulator.close();
    await app.close();
    rmSync(tlsDir, { recursive: true, force: true });
  });

  const transport = (opts: { requireTLS?: boolean } = {}) =>
    nodemailer.createTransport({
      host: '127.0.0.1',
      port: mx.port,
      secure: false,
      requireTLS: opts.requireTLS ?? false,
      ignoreTLS: !opts.requireTLS,
      tls: { rejectUnauthorized: false },
    });

  /** The newest stored copy for bob: its folder role and raw bytes as stored. */
  async function latest(): Promise<{ subject: string; role: string; raw: string }> {
    const [row] = await app.ds.query(
      `SELECT m.subject, f.role, convert_from(b.content, 'UTF8') AS raw
         FROM messages m JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id
         JOIN mail_blobs b ON b.tenant_id = m.tenant_id AND b.sha256 = m.blob_sha256
        WHERE m.tenant_id = $1 AND m.mailbox_id = $2 ORDER BY m.created_at DESC LIMIT 1`,
      [tenantId, bob.mailbox_id],
    );
    return row;
  }

  async function putAntispam(body: Record<string, unknown>): Promise<Response> {
    return fetch(`${app.url}/api/v1/admin/antispam`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  const sendRaw = (from: string, raw: Buffer | string) =>
    transport().sendMail({ envelope: { from, to: [bob.email] }, raw });

  it('offers STARTTLS (not AUTH); a client requiring TLS delivers over it', async () => {
    const ehlo = await smtpDialog(mx.port, ['EHLO client.example']);
    expect(ehlo[1]).to.include('STARTTLS');
    expect(ehlo[1]).not.to.match(/AUTH/);
    const info = await transport({ requireTLS: true }).sendMail({
      from: 'a@spf-pass.example',
      to: bob.email,
      subject: '加密传输',
      text: '通过 STARTTLS 发送',
    });
    expect(info.response).to.match(/^250/);
    const stored = await latest();
    expect(stored.subject).to.equal('加密传输');
    expect(stored.raw).to.match(/^Received: from .* by mx\.test with ESMTPS id /m); // session.secure
  });

  it('the self-signed certificate is made once (key 0600) and reused', async () => {
    const again = await loadMxTls({ hostname: 'mx.test', dataDir: tlsDir });
    const first = await loadMxTls({ hostname: 'mx.test', dataDir: tlsDir });
    expect(again.cert.equals(first.cert)).to.equal(true);
    expect(statSync(path.join(tlsDir, 'tls', 'mx-selfsigned.key')).mode & 0o777).to.equal(0o600);
  });

  it('stores Authentication-Results with SPF pass, and SPF fail counts against the message', async () => {
    await transport().sendMail({ from: 'a@spf-pass.example', to: bob.email, subject: 'spf ok', text: 'x' });
    let stored = await latest();
    expect(stored.raw.startsWith('Received-SPF: pass')).to.equal(true);
    expect(stored.raw).to.match(/^Authentication-Results: mx\.test;\r\n[\s\S]*spf=pass/m);
    expect(stored.raw).to.match(/^X-Spam-Status: No, score=0\.0 required=5\.0/m);
    expect(stored.role).to.equal('inbox');

    await transport().sendMail({ from: 'a@spf-fail.example', to: bob.email, subject: 'spf bad', text: 'x' });
    stored = await latest();
    expect(stored.raw).to.match(/spf=fail/);
    expect(stored.raw).to.match(/^X-Spam-Status: No, score=2\.0 .*tests=SPF_FAIL/m);
  });

  it('a DKIM-signed message passes; the same message tampered with fails', async () => {
    // nodemailer's own DKIM signer, through a transport that only renders the message.
    const signer = nodemailer.createTransport({
      streamTransport: true,
      buffer: true,
      newline: 'windows',
      dkim: { domainName: 'signed.example', keySelector: 'sel1', privateKey: dkimPrivate },
    });
    const { message: signed } = (await signer.sendMail({
      from: 'news@signed.example',
      to: bob.email,
      subject: '已签名',
      text: '签名的正文',
      messageId: '<dkim-1@signed.example>',
    })) as unknown as { message: Buffer };
    expect(signed.toString()).to.match(/^DKIM-Signature: /);
    await sendRaw('news@signed.example', signed);
    let stored = await latest();
    expect(stored.raw).to.match(/dkim=pass header\.i=@signed\.example/);
    expect(stored.raw).to.match(/dmarc=none/);

    // One line added to the signed body: its hash no longer matches bh=.
    const tampered = Buffer.concat([signed, Buffer.from('PS: 请改为向新账户付款\r\n')]);
    expect(tampered.equals(signed)).to.equal(false);
    await sendRaw('news@signed.example', tampered);
    stored = await latest();
    expect(stored.raw).to.match(/dkim=(fail|neutral)/);
    expect(stored.raw).to.match(/X-Spam-Status: .*DKIM_FAIL/);
  });

  it('DMARC p=reject failing is refused at DATA with 550 5.7.1; quarantine goes to Junk', async () => {
    const err = await transport()
      .sendMail({ from: 'ceo@dmarc-reject.example', to: bob.email, subject: '转账', text: '请转账' })
      .catch((e: SmtpError) => e);
    expect(err).to.include({ responseCode: 550 });
    expect((err as SmtpError).response).to.match(/5\.7\.1 .*DMARC.*dmarc-reject\.example/);

    await transport().sendMail({
      from: 'a@dmarc-quarantine.example',
      to: bob.email,
      subject: 'q',
      text: 'x',
    });
    const stored = await latest();
    expect(stored).to.include({ subject: 'q', role: 'junk' });
    expect(stored.raw).to.match(/dmarc=fail/);
  });

  it('high-scoring content goes to Junk with X-Spam headers', async () => {
    const raw = [
      'From: promo@spf-fail.example',
      `To: ${bob.email}`,
      'Reply-To: collect@other.example',
      'Subject: YOU HAVE WON A PRIZE!!!',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<a href="http://phish.example/x">https://www.mybank.example</a>',
      '',
    ].join('\r\n');
    await sendRaw('promo@spf-fail.example', raw);
    const stored = await latest();
    expect(stored.role).to.equal('junk');
    expect(stored.raw).to.match(
      /^X-Spam-Status: Yes, score=\d+\.\d required=5\.0 tests=.*HTML_LINK_MISMATCH/m,
    );
  });

  it('admin API: validates input (400), checks the role (403) and the MX applies the lists', async () => {
    const bad = await putAntispam({ block: ['not a domain'] });
    expect(bad.status).to.equal(400);
    const employee = (
      await app.ds.query(`SELECT id FROM members WHERE tenant_id = $1 AND external_id IS NOT NULL LIMIT 1`, [
        tenantId,
      ])
    )[0];
    const forbidden = await fetch(`${app.url}/api/v1/admin/antispam`, {
      headers: { authorization: `Bearer ${tokenFor(app, tenantId, employee.id, ['employee'])}` },
    });
    expect(forbidden.status).to.equal(403);

    const ok = await putAntispam({ block: ['blocked.example'], allow: ['friend.example'] });
    expect(ok.status).to.equal(200);
    expect(await ok.json()).to.deep.include({ block: ['blocked.example'], blockAction: 'refuse' });
    const got = await fetch(`${app.url}/api/v1/admin/antispam`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(await got.json()).to.deep.include({ allow: ['friend.example'] });
    const [audit] = await app.ds.query(
      `SELECT action FROM audit_log WHERE tenant_id = $1 AND action = 'policy.antispam_updated'`,
      [tenantId],
    );
    expect(audit).to.deep.equal({ action: 'policy.antispam_updated' });

    // Blocked: refused at RCPT with 550 5.7.1.
    const refused = await transport()
      .sendMail({ from: 'x@mail.blocked.example', to: bob.email, subject: 'x', text: 'x' })
      .catch((e: SmtpError) => e);
    expect(refused).to.include({ responseCode: 550 });
    expect((refused as SmtpError).response).to.include('5.7.1');

    // Allowlisted: never junk, however spammy it looks.
    await sendRaw(
      'deals@friend.example',
      'From: deals@friend.example\r\nSubject: HUGE SALE TODAY!!!!!\r\n\r\nbuy\r\n',
    );
    const allowed = await latest();
    expect(allowed).to.include({ subject: 'HUGE SALE TODAY!!!!!', role: 'inbox' });
    expect(allowed.raw).to.match(/X-Spam-Status: No, .*ALLOWLIST/);

    // Block action "junk": stored in Junk instead; DMARC reject action "junk" likewise.
    await putAntispam({ block: ['blocked.example'], blockAction: 'junk', dmarcRejectAction: 'junk' });
    await transport().sendMail({
      from: 'x@blocked.example',
      to: bob.email,
      subject: 'blocked-junk',
      text: 'x',
    });
    expect(await latest()).to.include({ subject: 'blocked-junk', role: 'junk' });
    await transport().sendMail({
      from: 'ceo@dmarc-reject.example',
      to: bob.email,
      subject: 'dmarc-junk',
      text: 'x',
    });
    expect(await latest()).to.include({ subject: 'dmarc-junk', role: 'junk' });
    await putAntispam({});
  });

  it('a departed member (suspended mailbox) still receives during retention; the leave policy has no refuse option', async () => {
    await app.ds.query(`UPDATE mailboxes SET status = 'suspended' WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      bob.mailbox_id,
    ]);
    const info = await transport().sendMail({
      from: 'a@spf-pass.example',
      to: bob.email,
      subject: '离职后',
      text: 'x',
    });
    expect(info.response).to.match(/^250/);
    expect(await latest()).to.include({ subject: '离职后', role: 'inbox' });
    await app.ds.query(`UPDATE mailboxes SET status = 'active' WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      bob.mailbox_id,
    ]);
  });

  it('mail from our own mailboxes (local path) is never junked, even with a spam verdict', async () => {
    const delivered = await app.services.delivery.deliver({
      tenantId,
      raw: Buffer.from(`From: ${bob.email}\r\nSubject: FREE!!!!!\r\n\r\ninternal\r\n`),
      targets: [
        { mailboxId: bob.mailbox_id, memberId: null, status: 'active', quotaBytes: 1e12, usedBytes: 0 },
      ],
      source: 'local',
      verdict: { spam: true, score: 99, reasons: ['score'] },
    });
    expect(delivered.mail.copies[0]!.folderRole).to.equal('inbox');
  });

  it('answers bad SMTP input with 4xx/5xx codes and keeps the session usable', async () => {
    const replies = await smtpDialog(mx.port, [
      'EHLO client.example',
      'RCPT TO:<x@secco.test>', // before MAIL
      'MAIL FROM:<broken', // syntax
      'AUTH PLAIN AGFiYwBkZWY=', // not offered on an MX: unrecognized
      'MAIL FROM:<a@example.com>',
      'DATA', // no recipient yet
      'RCPT TO:<nobody@secco.test>',
      'RCPT TO:<someone@elsewhere.example>',
      'QUIT',
    ]);
    const codes = replies.map((r) => Number(r.slice(0, 3)));
    expect(codes).to.deep.equal([220, 250, 503, 501, 500, 250, 503, 550, 550, 221]);
    expect(replies[7]).to.include('5.1.1');
    expect(replies[8]).to.include('5.7.1');
  });
});

/** A plain SMTP conversation: the banner and one (possibly multi-line) reply per command. */
async function smtpDialog(port: number, commands: string[]): Promise<string[]> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setEncoding('utf8');
  let buffer = '';
  const waiters: ((reply: string) => void)[] = [];
  const replies: string[] = [];
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (;;) {
      const m = /^(?:\d{3}-.*\r\n)*\d{3}(?: .*)?\r\n/.exec(buffer);
      if (!m) break;
      buffer = buffer.slice(m[0].length);
      const waiter = waiters.shift();
      if (waiter) waiter(m[0]);
      else replies.push(m[0]);
    }
  });
  const next = () =>
    new Promise<string>((resolve) => (replies.length ? resolve(replies.shift()!) : waiters.push(resolve)));
  const out = [await next()];
  for (const command of commands) {
    socket.write(`${command}\r\n`);
    out.push(await next());
  }
  socket.destroy();
  return out;
}
