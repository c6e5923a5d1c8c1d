import { expect } from 'chai';
import {
  startMx,
  startSubmission,
  type RunningMx,
  type RunningSubmission,
} from '../../server/modules/transport';
import { createLogger } from '../../server/platform/logger';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createTenant } from '../support/fixtures';
import { smtpDialog, type SmtpReply } from '../support/smtp-dialog';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * @security No open relay: the MX only delivers to mailboxes we host and submission needs AUTH.
 * Every classic relay trick is tried over real SMTP; each must be refused with 5xx, and nothing
 * may reach the outbound queue or the capture table.
 */
describe('@security open relay: MX and submission refuse every relay trick', function () {
  this.timeout(60_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let mx: RunningMx;
  let submission: RunningSubmission;
  let tenantId: string;
  let bob: { email: string; mailbox_id: string };
  let bobLocal: string;
  const ours = 'relayco.test';

  before(async () => {
    app = await startTestApp({ SMTP_HOSTNAME: 'mx.relayco.test' });
    tenantId = (await createTenant(app, 'relayco')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 3,
      depth: 1,
      seed: 11,
    });
    emulator.setCallback(undefined);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    [bob] = await app.ds.query(
      `SELECT m.email, b.id AS mailbox_id FROM members m JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 ORDER BY m.email LIMIT 1`,
      [tenantId],
    );
    bobLocal = bob.email.split('@')[0]!;
    const logger = createLogger({ level: 'silent' });
    mx = await startMx(app.services.inbound, {
      host: '127.0.0.1',
      port: 0,
      maxBytes: 100_000,
      hostname: 'mx.relayco.test',
      logger,
    });
    submission = await startSubmission(
      {
        appPasswords: app.services.appPasswords,
        outgoing: app.services.outgoing,
        recipients: app.services.recipients,
      },
      { host: '127.0.0.1', port: 0, maxBytes: 100_000, hostname: 'smtp.relayco.test', logger },
    );
  });
  after(async () => {
    await submission.close();
    await mx.close();
    await emulator.close();
    await app.close();
  });

  async function nothingLeft(): Promise<void> {
    const [{ queued }] = await app.ds.query(`SELECT count(*)::int AS queued FROM outbound_queue`);
    const [{ captured }] = await app.ds.query(`SELECT count(*)::int AS captured FROM captured_mail`);
    expect({ queued, captured }).to.deep.equal({ queued: 0, captured: 0 });
  }

  /** MAIL FROM then RCPT TO on a fresh MX session; returns the RCPT reply (and DATA's). */
  async function tryRelay(
    port: number,
    from: string,
    to: string,
  ): Promise<{ rcpt: SmtpReply; data: SmtpReply }> {
    const replies = await smtpDialog(port, [
      'EHLO attacker.example',
      `MAIL FROM:${from}`,
      `RCPT TO:${to}`,
      'DATA',
      'QUIT',
    ]);
    return { rcpt: replies[3]!, data: replies[4]! };
  }

  const tricks: { name: string; from: string; to: () => string; status?: RegExp }[] = [
    {
      name: 'plain external → external',
      from: '<a@elsewhere.example>',
      to: () => '<victim@remote.example>',
      status: /5\.7\.1/,
    },
    {
      name: 'spoofed MAIL FROM of our domain',
      from: `<ceo@${ours}>`,
      to: () => '<victim@remote.example>',
      status: /5\.7\.1/,
    },
    {
      name: 'null sender to a remote address',
      from: '<>',
      to: () => '<victim@remote.example>',
      status: /5\.7\.1/,
    },
    { name: 'percent hack', from: '<a@elsewhere.example>', to: () => `<victim%remote.example@${ours}>` },
    {
      name: 'percent hack on a real local part',
      from: '<a@elsewhere.example>',
      to: () => `<${bobLocal}%remote.example@${ours}>`,
    },
    {
      name: 'percent hack, upper-case domain',
      from: '<a@elsewhere.example>',
      to: () => `<victim%remote.example@${ours.toUpperCase()}>`,
    },
    {
      name: 'bang path with our domain',
      from: '<a@elsewhere.example>',
      to: () => `<remote.example!victim@${ours}>`,
    },
    { name: 'bang path, no domain', from: '<a@elsewhere.example>', to: () => '<remote!victim>' },
    {
      name: 'quoted local part with @',
      from: '<a@elsewhere.example>',
      to: () => `<"victim@remote.example"@${ours}>`,
    },
    { name: 'quoted address, no domain', from: '<a@elsewhere.example>', to: () => '<"victim@remote">' },
    {
      name: 'source route via our domain',
      from: '<a@elsewhere.example>',
      to: () => `<@${ours}:victim@remote.example>`,
    },
    {
      name: 'source route with two hops',
      from: '<a@elsewhere.example>',
      to: () => `<@${ours},@mx.${ours}:victim@remote.example>`,
    },
    { name: 'IP literal domain', from: '<a@elsewhere.example>', to: () => '<victim@[127.0.0.1]>' },
    {
      name: 'IP literal with a real local part',
      from: '<a@elsewhere.example>',
      to: () => `<${bobLocal}@[127.0.0.1]>`,
    },
    { name: 'IPv6 literal', from: '<a@elsewhere.example>', to: () => '<victim@[IPv6:::1]>' },
    {
      name: 'trailing dot on a remote domain',
      from: '<a@elsewhere.example>',
      to: () => '<victim@remote.example.>',
    },
    {
      name: 'look-alike: our domain as a sub-domain',
      from: '<a@elsewhere.example>',
      to: () => `<${bobLocal}@${ours}.remote.example>`,
    },
    {
      name: 'look-alike: our domain as a suffix',
      from: '<a@elsewhere.example>',
      to: () => `<${bobLocal}@x${ours}>`,
    },
    {
      name: 'IDN (full-width) of our domain with a percent hack',
      from: '<a@elsewhere.example>',
      to: () => `<victim%remote.example@ｒｅｌａｙｃｏ.test>`,
    },
    { name: 'double @', from: '<a@elsewhere.example>', to: () => `<victim@remote.example@${ours}>` },
    { name: 'unknown user of our domain', from: '<>', to: () => `<nobody-here@${ours}>`, status: /5\.1\.1/ },
  ];

  for (const t of tricks) {
    it(`MX refuses: ${t.name}`, async () => {
      const { rcpt, data } = await tryRelay(mx.port, t.from, t.to());
      expect(rcpt.code, rcpt.text).to.be.within(500, 599);
      if (t.status) expect(rcpt.text).to.match(t.status);
      else expect(rcpt.text).to.match(/5\.(7\.1|1\.\d)|^50\d/);
      expect(data.code, data.text).to.be.within(500, 599); // no valid recipient, so no DATA either
    });
  }

  it('our domain in upper case reaches only the local mailbox; with a trailing dot it is bad syntax (501)', async () => {
    const [{ before }] = await app.ds.query(
      `SELECT count(*)::int AS before FROM messages WHERE tenant_id = $1 AND mailbox_id = $2`,
      [tenantId, bob.mailbox_id],
    );
    for (const to of [bob.email.toUpperCase(), bob.email.replace(/@.*/, (d) => d.toUpperCase())]) {
      const replies = await smtpDialog(mx.port, [
        'EHLO friend.example',
        'MAIL FROM:<a@elsewhere.example>',
        `RCPT TO:<${to}>`,
        'DATA',
        `From: a@elsewhere.example\r\nSubject: local ${to}\r\n\r\nhello\r\n.`,
        'QUIT',
      ]);
      expect(
        replies.map((r) => r.code),
        JSON.stringify(replies),
      ).to.deep.equal([220, 250, 250, 250, 354, 250, 221]);
    }
    const [{ after }] = await app.ds.query(
      `SELECT count(*)::int AS after FROM messages WHERE tenant_id = $1 AND mailbox_id = $2`,
      [tenantId, bob.mailbox_id],
    );
    expect(after - before).to.equal(2);
    const dotted = await smtpDialog(mx.port, [
      'EHLO friend.example',
      'MAIL FROM:<a@elsewhere.example>',
      `RCPT TO:<${bob.email}.>`,
      'QUIT',
    ]);
    expect(dotted[3]!.code).to.equal(501);
    await nothingLeft();
  });

  it('submission without AUTH refuses MAIL FROM (530) for any sender, ours or not', async () => {
    for (const from of [`<${bob.email}>`, '<a@elsewhere.example>', '<>']) {
      const replies = await smtpDialog(submission.port, [
        'EHLO client.example',
        `MAIL FROM:${from}`,
        'RCPT TO:<victim@remote.example>',
        'DATA',
        'QUIT',
      ]);
      expect(replies[2]!.code, replies[2]!.text).to.equal(530);
      expect(replies[3]!.code).to.be.within(500, 599);
      expect(replies[4]!.code).to.be.within(500, 599);
    }
  });

  it('submission with a failed AUTH is still unauthenticated', async () => {
    const replies = await smtpDialog(submission.port, [
      'EHLO client.example',
      `AUTH PLAIN ${Buffer.from(`\0${bob.email}\0not-the-password`).toString('base64')}`,
      `MAIL FROM:<${bob.email}>`,
      'RCPT TO:<victim@remote.example>',
      'QUIT',
    ]);
    expect(replies[2]!.code).to.equal(535);
    expect(replies[3]!.code).to.equal(530);
    expect(replies[4]!.code).to.be.within(500, 599);
  });

  it('after every trick: nothing in the outbound queue or the capture table', async () => {
    await nothingLeft();
  });
});
