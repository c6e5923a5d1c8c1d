import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { createServices } from '../../server/app';
import { SendDispatcher } from '../../server/modules/scheduling';
import type { OutgoingMailService } from '../../server/modules/transport';
import { createDataSource } from '../../server/platform/db/data-source';
import type { Actor } from '../../server/platform/http/actor';
import { createLogger } from '../../server/platform/logger';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createTenant } from '../support/fixtures';
import { startTestApp, TEST_MASTER_SECRET, type TestApp } from '../support/test-app';

const silent = createLogger({ level: 'silent' });

describe('scheduled-send dispatcher: exactly once, failures, back-off', function () {
  this.timeout(180_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let tenantId: string;
  let senders: (Actor & { mailboxId: string; externalId: string })[];
  let recipient: { email: string; mailbox_id: string };
  let ds2: DataSource;

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'dispatchco')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 24,
      depth: 2,
      seed: 11,
    });
    emulator.setCallback(undefined);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    const rows = await app.ds.query(
      `SELECT m.id, m.email, m.external_id, b.id AS mailbox_id FROM members m
         JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 AND m.status = 'active' ORDER BY m.email LIMIT 21`,
      [tenantId],
    );
    recipient = { email: rows[0].email, mailbox_id: rows[0].mailbox_id };
    senders = rows.slice(1).map((r: { id: string; mailbox_id: string; external_id: string }) => ({
      tenantId,
      memberId: r.id,
      roles: ['employee'] as const,
      scope: 'full' as const,
      mailboxId: r.mailbox_id,
      externalId: r.external_id,
    }));
    for (const s of senders) await app.services.sendPreferences.set(s, { seconds: 0 });
    ds2 = createDataSource({ url: (app.ds.options as { url: string }).url, poolSize: 5 });
    await ds2.initialize();
  });
  after(async () => {
    await ds2.destroy();
    await emulator.close();
    await app.close();
  });

  function dispatcherOn(ds: DataSource, outgoing: OutgoingMailService, drafts = app.services.drafts) {
    return new SendDispatcher(
      { ds, clock: app.clock, outgoing, drafts, notifier: app.services.notifier, logger: silent },
      { batchSize: 50, workers: 2 },
    );
  }

  it('two dispatchers on two connections pools, ticking together over 200 due sends: each delivered once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const s = senders[i % senders.length]!;
      const r = await app.services.compose.send(s, {
        to: [{ address: recipient.email }],
        subject: `批量 ${i}`,
      });
      ids.push(r.scheduledId);
    }
    const other = createServices({
      config: app.config,
      logger: silent,
      ds: ds2,
      clock: app.clock,
      masterSecret: TEST_MASTER_SECRET,
    });
    const one = dispatcherOn(app.ds, app.services.outgoing);
    const two = dispatcherOn(ds2, other.outgoing, other.drafts);
    const results = await Promise.all([one.tick(), two.tick(), one.tick(), two.tick()]);
    const sent = results.reduce((n, r) => n + r.sent, 0);
    expect(sent).to.equal(200);
    expect(results[0]!.sent + results[2]!.sent).to.be.greaterThan(0);
    expect(results[1]!.sent + results[3]!.sent).to.be.greaterThan(0);

    const [{ n, distinct }] = await app.ds.query(
      `SELECT count(*)::int AS n, count(DISTINCT message_id)::int AS distinct FROM messages
        WHERE tenant_id = $1 AND mailbox_id = $2 AND subject LIKE '批量 %'`,
      [tenantId, recipient.mailbox_id],
    );
    expect({ n, distinct }).to.deep.equal({ n: 200, distinct: 200 });
    const [{ queued }] = await app.ds.query(
      `SELECT count(*) FILTER (WHERE status <> 'sent')::int AS queued FROM scheduled_sends WHERE tenant_id = $1 AND id = ANY($2)`,
      [tenantId, ids],
    );
    expect(queued).to.equal(0);
    expect((await one.tick()).sent + (await two.tick()).sent).to.equal(0);
  });

  it('a permanent failure (policy) fails the send, returns it to Drafts and tells the sender on DingTalk', async () => {
    const s = senders[0]!;
    const r = await app.services.compose.send(s, {
      to: [{ address: 'partner@example.com' }],
      subject: '外发被拒',
      sendAt: new Date(app.clock.now().getTime() + 120_000).toISOString(),
    });
    // the organization forbids external mail after the send was scheduled
    await app.ds.query(
      `INSERT INTO settings (tenant_id, key, value) VALUES ($1, 'mail.send_policy', '{"externalSendingAllowed": false}')`,
      [tenantId],
    );
    const before = emulator.notifications.inbox(s.externalId).length;
    app.clock.advance(121_000);
    const res = await dispatcherOn(app.ds, app.services.outgoing).tick();
    expect(res).to.include({ sent: 0, failed: 1 });
    const [row] = await app.ds.query(
      `SELECT s.status, s.last_error, f.role FROM scheduled_sends s JOIN messages m ON m.tenant_id = s.tenant_id AND m.id = s.message_id
         JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id WHERE s.id = $1`,
      [r.scheduledId],
    );
    expect(row.status).to.equal('failed');
    expect(row.role).to.equal('drafts');
    expect(row.last_error).to.be.a('string').and.not.equal('');
    const notices = emulator.notifications.inbox(s.externalId);
    expect(notices.length).to.equal(before + 1);
    expect(JSON.stringify(notices[notices.length - 1]!.msg)).to.include('外发被拒');
    await app.ds.query(`DELETE FROM settings WHERE tenant_id = $1 AND key = 'mail.send_policy'`, [tenantId]);
  });

  it('a transient failure is retried with back-off and then sent once', async () => {
    const s = senders[1]!;
    const r = await app.services.compose.send(s, { to: [{ address: recipient.email }], subject: '重试' });
    // Fault injection around the real service: the first submit hits a broken connection.
    let failures = 1;
    const flaky = {
      checkPolicy: app.services.outgoing.checkPolicy.bind(app.services.outgoing),
      submit: app.services.outgoing.submit.bind(app.services.outgoing),
      submitIn: async (...args: Parameters<OutgoingMailService['submitIn']>) => {
        if (failures-- > 0) throw new Error('ECONNRESET (injected)');
        return app.services.outgoing.submitIn(...args);
      },
    } as unknown as OutgoingMailService;
    const d = dispatcherOn(app.ds, flaky);
    expect(await d.tick()).to.include({ sent: 0, retried: 1 });
    const [row] = await app.ds.query(
      `SELECT status, attempts, next_attempt_at FROM scheduled_sends WHERE id = $1`,
      [r.scheduledId],
    );
    expect(row).to.include({ status: 'queued', attempts: 1 });
    expect(new Date(row.next_attempt_at).getTime()).to.be.greaterThan(app.clock.now().getTime());
    expect((await d.tick()).sent).to.equal(0);
    app.clock.advance(6_000);
    expect((await d.tick()).sent).to.equal(1);
    const [{ n }] = await app.ds.query(
      `SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1 AND mailbox_id = $2 AND subject = '重试'`,
      [tenantId, recipient.mailbox_id],
    );
    expect(n).to.equal(1);
  });
});
