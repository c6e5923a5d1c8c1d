import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import MailComposer from 'nodemailer/lib/mail-composer';
import { SMTPServer } from 'smtp-server';
import { createServices } from '../../server/app';
import { loadConfig } from '../../server/config';
import { systemClock } from '../../server/platform/clock';
import { createDataSource } from '../../server/platform/db/data-source';
import { staticResolver } from '../../server/platform/dns/resolver';
import { createLogger } from '../../server/platform/logger';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createTenant } from '../support/fixtures';
import { waitFor } from '../support/process';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { startTestApp, TEST_MASTER_SECRET, type TestApp } from '../support/test-app';

const silent = createLogger({ level: 'silent' });
const DNS = { 'remote.example': { MX: [{ exchange: '127.0.0.1', priority: 10 }] } };

/**
 * Run as a script (`node this-file.js child <database url> <mx port>`): a started outbound worker
 * (holding its liveness lock, like a server's) that sends to an MX which never answers the DATA.
 */
async function child(url: string, mxPort: string): Promise<void> {
  const ds = createDataSource({ url, poolSize: 3 });
  await ds.initialize();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    PORT: '0',
    OUTBOUND_MODE: 'deliver',
    OUTBOUND_MX_PORT: mxPort,
  });
  const services = createServices({
    config,
    logger: silent,
    ds,
    clock: systemClock,
    masterSecret: TEST_MASTER_SECRET,
    resolver: staticResolver(DNS),
  });
  services.outboundWorker.start();
  process.stdout.write('STARTED\n');
}

if (require.main === module && process.argv[2] === 'child') {
  child(process.argv[3]!, process.argv[4]!).catch((err) => {
    process.stderr.write(String(err?.stack ?? err) + '\n');
    process.exit(2);
  });
} else {
  describe('outbound queue: a worker killed mid-send', function () {
    this.timeout(120_000);
    let app: TestApp;
    let emulator: RunningEmulator;
    let sink: SmtpSink;
    let tenantId: string;
    let alice: { email: string; mailbox_id: string };

    before(async () => {
      sink = await startSmtpSink();
      app = await startTestApp(
        { OUTBOUND_MODE: 'deliver', OUTBOUND_MX_PORT: String(sink.port) },
        { resolver: staticResolver(DNS) },
      );
      tenantId = (await createTenant(app, 'outcrash')).id;
      emulator = await startSandbox({
        integrations: app.services.dingtalk,
        tenantId,
        callbackBaseUrl: app.url,
        employees: 4,
        depth: 1,
        seed: 31,
      });
      emulator.setCallback(undefined);
      await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
      [alice] = await app.ds.query(
        `SELECT m.email, b.id AS mailbox_id FROM members m JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
          WHERE m.tenant_id = $1 ORDER BY m.email LIMIT 1`,
        [tenantId],
      );
    });
    after(async () => {
      await emulator.close();
      await sink.close();
      await app.close();
    });

    it('SIGKILL while the remote MX holds the DATA: the row is claimed again at once, not after the 5-minute lease', async () => {
      // An MX that takes the message and never answers: the worker is stuck mid-send.
      let dataSeen = 0;
      const stall = new SMTPServer({
        authOptional: true,
        disabledCommands: ['AUTH', 'STARTTLS'],
        logger: false,
        onData(stream) {
          stream.on('data', () => undefined);
          stream.on('end', () => dataSeen++);
        },
      });
      stall.on('error', () => undefined);
      await new Promise<void>((r) => stall.listen(0, '127.0.0.1', () => r()));
      const stallPort = (stall.server.address() as AddressInfo).port;

      const raw = await new MailComposer({
        from: alice.email,
        to: 'partner@remote.example',
        subject: '断电外发 crash mid-send',
        text: '你好\n',
        messageId: '<outbound-crash-1@outcrash.test>',
      })
        .compile()
        .build();
      await app.services.outgoing.submit({
        tenantId,
        mailboxId: alice.mailbox_id,
        envelopeFrom: alice.email,
        recipients: ['partner@remote.example'],
        raw,
        kind: 'user',
      });

      const url = (app.ds.options as { url: string }).url;
      const proc = spawn(process.execPath, [__filename, 'child', url, String(stallPort)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      proc.stdout.on('data', (d) => (out += d.toString()));
      proc.stderr.on('data', (d) => (out += d.toString()));
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        proc.once('exit', (_c, sig) => resolve(sig)),
      );
      try {
        await waitFor(() => dataSeen > 0, 30_000, `the child to send (output: ${out})`);
        const [claimed] = await app.ds.query(
          `SELECT status, claimed_by, claimed_until > now() AS leased FROM outbound_queue WHERE tenant_id = $1`,
          [tenantId],
        );
        expect(claimed).to.include({ status: 'queued', leased: true });
        expect(claimed.claimed_by).to.be.a('number');
        // The live worker's claim is respected: nobody else takes the row.
        expect(await app.services.outboundWorker.runOnce()).to.equal(0);
      } finally {
        proc.kill('SIGKILL');
      }
      expect(await exited).to.equal('SIGKILL');

      // PostgreSQL drops the dead process's liveness lock when it notices the closed socket.
      let claimedAgain = 0;
      await waitFor(
        async () => (claimedAgain += await app.services.outboundWorker.runOnce()) > 0,
        10_000,
        'the row to be claimed again',
      );
      expect(claimedAgain).to.equal(1);
      expect(sink.messages).to.have.length(1);
      expect(sink.messages[0]!.to).to.deep.equal(['partner@remote.example']);
      const [done] = await app.ds.query(
        `SELECT status, attempts, claimed_by FROM outbound_queue WHERE tenant_id = $1`,
        [tenantId],
      );
      expect(done).to.deep.equal({ status: 'sent', attempts: 2, claimed_by: null });
      await new Promise<void>((r) => stall.close(() => r()));
    });
  });
}
