import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { createServices } from '../../server/app';
import { loadConfig } from '../../server/config';
import { SendDispatcher } from '../../server/modules/scheduling';
import { systemClock } from '../../server/platform/clock';
import { createDataSource } from '../../server/platform/db/data-source';
import type { Actor } from '../../server/platform/http/actor';
import { createLogger } from '../../server/platform/logger';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createTenant } from '../support/fixtures';
import { waitFor } from '../support/process';
import { startTestApp, TEST_MASTER_SECRET, type TestApp } from '../support/test-app';

const silent = createLogger({ level: 'silent' });

/**
 * Run as a script (`node this-file.js child <database url>`): a dispatcher that claims the due
 * sends, submits them inside its transaction, says CLAIMED and then hangs before the commit,
 * waiting to be killed.
 */
async function child(url: string): Promise<void> {
  const ds = createDataSource({ url, poolSize: 3 });
  await ds.initialize();
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PORT: '0' });
  const services = createServices({
    config,
    logger: silent,
    ds,
    clock: systemClock,
    masterSecret: TEST_MASTER_SECRET,
  });
  const dispatcher = new SendDispatcher(
    { ds, clock: systemClock, outgoing: services.outgoing, drafts: services.drafts, logger: silent },
    {
      workers: 1,
      beforeCommit: async (ids) => {
        process.stdout.write(`CLAIMED ${ids.length}\n`);
        await new Promise(() => undefined);
      },
    },
  );
  await dispatcher.tick();
}

if (require.main === module && process.argv[2] === 'child') {
  child(process.argv[3]!).catch((err) => {
    process.stderr.write(String(err?.stack ?? err) + '\n');
    process.exit(2);
  });
} else {
  describe('scheduled sends survive a dispatcher killed mid-transaction', function () {
    this.timeout(120_000);
    let app: TestApp;
    let emulator: RunningEmulator;
    let tenantId: string;
    let sender: Actor;
    let recipient: { email: string; mailbox_id: string };

    before(async () => {
      app = await startTestApp();
      tenantId = (await createTenant(app, 'crashco')).id;
      emulator = await startSandbox({
        integrations: app.services.dingtalk,
        tenantId,
        callbackBaseUrl: app.url,
        employees: 6,
        depth: 2,
        seed: 21,
      });
      emulator.setCallback(undefined);
      await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
      const rows = await app.ds.query(
        `SELECT m.id, m.email, b.id AS mailbox_id FROM members m JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
          WHERE m.tenant_id = $1 AND m.status = 'active' ORDER BY m.email LIMIT 2`,
        [tenantId],
      );
      recipient = rows[0];
      sender = { tenantId, memberId: rows[1].id, roles: ['employee'], scope: 'full' };
    });
    after(async () => {
      await emulator.close();
      await app.close();
    });

    async function copies(subject: string): Promise<number> {
      const [{ n }] = await app.ds.query(
        `SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1 AND mailbox_id = $2 AND subject = $3`,
        [tenantId, recipient.mailbox_id, subject],
      );
      return n;
    }

    it('SIGKILL between claim and commit: nothing delivered; after restart each send goes out exactly once', async () => {
      await app.services.sendPreferences.set(sender, { seconds: 0 });
      const subjects = ['断电测试 1', '断电测试 2', '断电测试 3'];
      const ids: string[] = [];
      for (const subject of subjects) {
        ids.push(
          (await app.services.compose.send(sender, { to: [{ address: recipient.email }], subject }))
            .scheduledId,
        );
      }

      const url = (app.ds.options as { url: string }).url;
      const proc = spawn(process.execPath, [__filename, 'child', url], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      proc.stdout.on('data', (d) => (out += d.toString()));
      proc.stderr.on('data', (d) => (out += d.toString()));
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        proc.once('exit', (_c, sig) => resolve(sig)),
      );
      await waitFor(() => out.includes('CLAIMED'), 30_000, `the child to claim (output: ${out})`);
      expect(out).to.include('CLAIMED 3');

      // Claimed and submitted inside the open transaction: invisible to everyone else.
      for (const s of subjects) expect(await copies(s)).to.equal(0);
      const states = await app.ds.query(
        `SELECT status FROM scheduled_sends WHERE tenant_id = $1 AND id = ANY($2)`,
        [tenantId, ids],
      );
      expect(states.map((r: { status: string }) => r.status)).to.deep.equal(['queued', 'queued', 'queued']);

      proc.kill('SIGKILL');
      expect(await exited).to.equal('SIGKILL');

      // The "restarted" dispatcher: the killed backend's locks go when PostgreSQL notices the socket closed.
      const dispatcher = new SendDispatcher({
        ds: app.ds,
        clock: systemClock,
        outgoing: app.services.outgoing,
        drafts: app.services.drafts,
        logger: silent,
      });
      let sent = 0;
      await waitFor(
        async () => {
          sent += (await dispatcher.tick()).sent;
          return sent >= 3;
        },
        30_000,
        'the restarted dispatcher to send',
      );
      expect(sent).to.equal(3);
      for (const s of subjects) expect(await copies(s)).to.equal(1);
      expect((await dispatcher.tick()).sent).to.equal(0);
      const after = await app.ds.query(
        `SELECT status FROM scheduled_sends WHERE tenant_id = $1 AND id = ANY($2)`,
        [tenantId, ids],
      );
      expect(after.map((r: { status: string }) => r.status)).to.deep.equal(['sent', 'sent', 'sent']);
    });
  });
}
