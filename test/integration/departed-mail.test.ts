import { expect } from 'chai';
import { SYNC_POLICY_KEY, SyncPolicy } from '../../shared/directory/sync-policy';
import type { DeliveryTarget } from '../../server/modules/mailboxes';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createTenant } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

const DAY = 86_400_000;

function message(opts: { from: string; to: string; subject: string; extra?: string }): Buffer {
  return Buffer.from(
    [
      `From: Partner <${opts.from}>`,
      `To: ${opts.to}`,
      `Subject: ${opts.subject}`,
      `Message-ID: <${Math.random().toString(36).slice(2)}@partner.test>`,
      'Date: Mon, 23 Nov 2026 10:00:00 +0800',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      ...(opts.extra ? [opts.extra] : []),
      '',
      '关于合同的问题，请回复。',
      '',
    ].join('\r\n'),
  );
}

describe('mail to a member who has left: forward to the manager, auto-reply naming a contact', function () {
  this.timeout(90_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let tenantId: string;
  let leaver: { id: string; external_id: string; email: string; display_name: string };
  let manager: { id: string; email: string; mailbox_id: string };

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'leaveco')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 40,
      depth: 3,
      seed: 17,
    });
    emulator.setCallback(undefined);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    // Someone whose own department has a head other than themselves.
    [leaver] = await app.ds.query(
      `SELECT m.id, m.external_id, m.email, m.display_name FROM members m
         JOIN departments d ON d.tenant_id = m.tenant_id AND d.external_id = m.department_ids[1]
        WHERE m.tenant_id = $1 AND cardinality(d.manager_external_ids) > 0
          AND NOT (m.external_id = ANY(d.manager_external_ids)) AND m.status = 'active'
        ORDER BY m.email LIMIT 1`,
      [tenantId],
    );
    [manager] = await app.ds.query(
      `SELECT boss.id, boss.email, b.id AS mailbox_id FROM members m
         JOIN departments d ON d.tenant_id = m.tenant_id AND d.external_id = m.department_ids[1]
         JOIN members boss ON boss.tenant_id = m.tenant_id AND boss.external_id = d.manager_external_ids[1]
         JOIN mailboxes b ON b.tenant_id = boss.tenant_id AND b.member_id = boss.id
        WHERE m.tenant_id = $1 AND m.id = $2`,
      [tenantId, leaver.id],
    );
    await app.ds.transaction((em) =>
      app.services.settings.set(
        em,
        tenantId,
        SYNC_POLICY_KEY,
        SyncPolicy,
        {
          ...SyncPolicy.parse({}),
          forwardToManagerOnLeave: true,
        },
        null,
      ),
    );
    emulator.org.leave(leaver.external_id);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
  });
  after(async () => {
    await emulator.close();
    await app.close();
  });

  async function deliverToLeaver(raw: Buffer, envelopeFrom: string) {
    const r = await app.services.recipients.resolve(leaver.email);
    expect(r.kind).to.equal('mailbox');
    const target = (r as { target: DeliveryTarget }).target;
    expect(target.status).to.equal('suspended');
    await app.services.delivery.deliver({ tenantId, raw, targets: [target], envelopeFrom, source: 'smtp' });
    await app.services.departedMail.idle();
  }

  const inboxOf = (mailboxId: string): Promise<{ subject: string; blob_sha256: string }[]> =>
    app.ds.query(
      `SELECT m.subject, m.blob_sha256 FROM messages m JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id
        WHERE m.tenant_id = $1 AND m.mailbox_id = $2 AND f.role = 'inbox' ORDER BY m.created_at`,
      [tenantId, mailboxId],
    );
  const repliesTo = async (address: string): Promise<string[]> => {
    const rows: { content: Buffer }[] = await app.ds.query(
      `SELECT b.content FROM outbound_queue q JOIN mail_blobs b ON b.tenant_id = q.tenant_id AND b.sha256 = q.blob_sha256
        WHERE q.tenant_id = $1 AND q.recipients::text LIKE $2
       UNION ALL
       SELECT c.content FROM captured_mail c WHERE c.tenant_id = $1 AND array_to_string(c.recipients, ',') LIKE $2`,
      [tenantId, `%${address}%`],
    );
    return rows.map((r) => r.content.toString('utf8'));
  };

  it('keeps the message, forwards it to the manager and tells the sender whom to contact, once', async () => {
    await deliverToLeaver(
      message({ from: 'partner@partner.test', to: leaver.email, subject: '合同续签' }),
      'partner@partner.test',
    );
    const forwarded = (await inboxOf(manager.mailbox_id)).filter((m) => m.subject === '合同续签');
    expect(forwarded, 'the manager got it').to.have.length(1);
    const [blob] = await app.ds.query(`SELECT content FROM mail_blobs WHERE tenant_id = $1 AND sha256 = $2`, [
      tenantId,
      forwarded[0]!.blob_sha256,
    ]);
    expect(blob.content.toString('utf8')).to.match(new RegExp(`^Resent-From: ${leaver.email}`, 'm'));

    const replies = await repliesTo('partner@partner.test');
    expect(replies).to.have.length(1);
    expect(replies[0]).to.match(/^Auto-Submitted: auto-replied/m);
    expect(replies[0]).to.include(manager.email);

    // The same sender again within 4 days: forwarded again, but no second reply.
    await deliverToLeaver(
      message({ from: 'partner@partner.test', to: leaver.email, subject: '合同续签 2' }),
      'partner@partner.test',
    );
    expect((await inboxOf(manager.mailbox_id)).filter((m) => m.subject === '合同续签 2')).to.have.length(1);
    expect(await repliesTo('partner@partner.test')).to.have.length(1);
    app.clock.advance(5 * DAY);
    await deliverToLeaver(
      message({ from: 'partner@partner.test', to: leaver.email, subject: '合同续签 3' }),
      'partner@partner.test',
    );
    expect(await repliesTo('partner@partner.test'), 'after 4 days, answered again').to.have.length(2);
  });

  it('never answers lists, robots or the null sender; names the configured contact when there is one', async () => {
    await deliverToLeaver(
      message({
        from: 'news@list.test',
        to: leaver.email,
        subject: '周报',
        extra: 'List-Id: <news.list.test>',
      }),
      'news@list.test',
    );
    await deliverToLeaver(message({ from: 'x@y.test', to: leaver.email, subject: '退信' }), '');
    await deliverToLeaver(
      message({ from: 'noreply@shop.test', to: leaver.email, subject: '订单' }),
      'noreply@shop.test',
    );
    expect(await repliesTo('news@list.test')).to.have.length(0);
    expect(await repliesTo('noreply@shop.test')).to.have.length(0);

    await app.ds.transaction((em) =>
      app.services.settings.set(
        em,
        tenantId,
        SYNC_POLICY_KEY,
        SyncPolicy,
        {
          ...SyncPolicy.parse({}),
          forwardToManagerOnLeave: false,
          leaveContactAddress: 'hr@leaveco.test',
        },
        null,
      ),
    );
    const before = (await inboxOf(manager.mailbox_id)).length;
    await deliverToLeaver(
      message({ from: 'client@other.test', to: leaver.email, subject: '报价' }),
      'client@other.test',
    );
    expect((await inboxOf(manager.mailbox_id)).length, 'forwarding switched off').to.equal(before);
    const replies = await repliesTo('client@other.test');
    expect(replies).to.have.length(1);
    expect(replies[0]).to.include('hr@leaveco.test');
  });
});
