import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { DeliveryTarget } from '../../server/modules/mailboxes';
import { queryTokens } from '../../server/modules/mail';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createTenant } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

const fixture = (name: string) => readFileSync(path.resolve('test/fixtures/mail', name));

describe('local delivery: store once, one row per mailbox, in one transaction', function () {
  this.timeout(60_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let tenantId: string;
  let people: { email: string; mailbox_id: string }[];

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'deliveryco')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 30,
      depth: 2,
      seed: 3,
    });
    emulator.setCallback(undefined);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    people = await app.ds.query(
      `SELECT m.email, b.id AS mailbox_id FROM members m JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 ORDER BY m.email LIMIT 3`,
      [tenantId],
    );
  });
  after(async () => {
    await emulator.close();
    await app.close();
  });

  async function targetsOf(...addresses: string[]): Promise<DeliveryTarget[]> {
    const out: DeliveryTarget[] = [];
    for (const a of addresses) {
      const r = await app.services.recipients.resolve(a);
      if (r.kind === 'mailbox' || r.kind === 'alias') out.push(r.target);
      else if (r.kind === 'group') out.push(...r.targets);
      else throw new Error(`${a} does not resolve`);
    }
    return out;
  }

  it('a Chinese message to a person and a group containing them is stored once and delivered once each', async () => {
    const raw = fixture('rfc2047-subject-gbk.eml');
    const [root] = await app.ds.query(
      `SELECT a.local_part || '@deliveryco.test' AS address FROM mail_groups g JOIN addresses a ON a.tenant_id = g.tenant_id AND a.group_id = g.id
        WHERE g.tenant_id = $1 AND g.department_external_id = '1'`,
      [tenantId],
    );
    const targets = await targetsOf(people[0]!.email, root.address);
    const delivered = await app.services.delivery.deliver({ tenantId, raw, targets });
    const mailboxes = new Set(targets.map((t) => t.mailboxId)).size;
    expect(delivered.messageIds).to.have.length(mailboxes);

    const [{ blobs }] = await app.ds.query(
      `SELECT count(*)::int AS blobs FROM mail_blobs WHERE tenant_id = $1`,
      [tenantId],
    );
    expect(blobs).to.equal(1);
    const rows = await app.ds.query(
      `SELECT m.subject, m.search_tokens, f.role, b.used_bytes FROM messages m
         JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id
         JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.id = m.mailbox_id
        WHERE m.tenant_id = $1 AND m.mailbox_id = $2`,
      [tenantId, people[0]!.mailbox_id],
    );
    expect(rows).to.have.length(1);
    expect(rows[0].subject).to.equal('采购合同（第二版）');
    expect(rows[0].role).to.equal('inbox');
    expect(Number(rows[0].used_bytes)).to.equal(raw.length);
    for (const t of queryTokens('合同').tokens) expect(rows[0].search_tokens).to.include(t);
  });

  it('a reply joins the thread of the message it answers, in each mailbox', async () => {
    const original = Buffer.from(
      'From: a@example.com\r\nTo: b@example.com\r\nSubject: 报价\r\nMessage-ID: <q1@example.com>\r\n\r\n请报价\r\n',
    );
    const reply = Buffer.from(
      'From: b@example.com\r\nTo: a@example.com\r\nSubject: Re: 报价\r\nMessage-ID: <q2@example.com>\r\nIn-Reply-To: <q1@example.com>\r\nReferences: <q1@example.com>\r\n\r\n见附件\r\n',
    );
    const targets = await targetsOf(people[1]!.email, people[2]!.email);
    await app.services.delivery.deliver({ tenantId, raw: original, targets });
    await app.services.delivery.deliver({ tenantId, raw: reply, targets });
    const rows = await app.ds.query(
      `SELECT mailbox_id, count(DISTINCT thread_id)::int AS threads, count(*)::int AS n FROM messages
        WHERE tenant_id = $1 AND message_id IN ('q1@example.com', 'q2@example.com') GROUP BY mailbox_id`,
      [tenantId],
    );
    expect(rows).to.have.length(2);
    for (const r of rows) expect(r).to.include({ threads: 1, n: 2 });
  });

  it('nothing is stored when the transaction fails (a target mailbox that does not exist)', async () => {
    const before = await app.ds.query(`SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1`, [
      tenantId,
    ]);
    const bogus = {
      mailboxId: '00000000-0000-4000-8000-000000000000',
      memberId: null,
      status: 'active' as const,
      quotaBytes: 1e9,
      usedBytes: 0,
    };
    const raw = Buffer.from('From: x@example.com\r\nSubject: lost?\r\n\r\nbody\r\n');
    let failed = false;
    try {
      await app.services.delivery.deliver({
        tenantId,
        raw,
        targets: [...(await targetsOf(people[0]!.email)), bogus],
      });
    } catch {
      failed = true;
    }
    expect(failed).to.equal(true);
    const after = await app.ds.query(`SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1`, [
      tenantId,
    ]);
    expect(after[0].n).to.equal(before[0].n);
    const [{ n }] = await app.ds.query(
      `SELECT count(*)::int AS n FROM mail_blobs WHERE tenant_id = $1 AND size = $2`,
      [tenantId, raw.length],
    );
    expect(n).to.equal(0);
  });

  it('concurrent deliveries are stored together (group commit); a bad one fails alone; a reply in the same batch threads', async () => {
    const targets = await targetsOf(people[0]!.email, people[1]!.email);
    const [before] = await app.ds.query(
      `SELECT used_bytes::bigint AS used FROM mailboxes WHERE tenant_id = $1 AND id = $2`,
      [tenantId, people[0]!.mailbox_id],
    );
    const raws = Array.from({ length: 30 }, (_, i) =>
      Buffer.from(
        `From: batch@example.com\r\nTo: x@example.com\r\nSubject: 批量 ${i}\r\nMessage-ID: <batch-${i}@example.com>\r\n` +
          (i > 0 ? `In-Reply-To: <batch-0@example.com>\r\n` : '') +
          `\r\n第 ${i} 封\r\n`,
      ),
    );
    const bogus = { ...targets[0]!, mailboxId: '00000000-0000-4000-8000-000000000001' };
    await app.services.delivery.deliver({ tenantId, raw: raws[0]!, targets });
    // 20 at once: those arriving while a batch is being stored wait and go together.
    await Promise.all(
      raws.slice(1, 21).map((raw) => app.services.delivery.deliver({ tenantId, raw, targets })),
    );
    // 9 more with a bad one among them: the bad one fails alone, the others are stored.
    const results = await Promise.allSettled([
      ...raws.slice(21).map((raw) => app.services.delivery.deliver({ tenantId, raw, targets })),
      app.services.delivery.deliver({
        tenantId,
        raw: Buffer.from('From: bad@example.com\r\nSubject: bad\r\n\r\nx\r\n'),
        targets: [bogus],
      }),
    ]);
    expect(results.slice(0, 9).every((r) => r.status === 'fulfilled')).to.equal(true);
    expect(results[9]!.status).to.equal('rejected');

    const rows: { mailbox_id: string; n: number; threads: number; transactions: number }[] =
      await app.ds.query(
        `SELECT mailbox_id, count(*)::int AS n, count(DISTINCT thread_id)::int AS threads,
              count(DISTINCT xmin::text)::int AS transactions
         FROM messages WHERE tenant_id = $1 AND message_id LIKE 'batch-%' GROUP BY mailbox_id`,
        [tenantId],
      );
    expect(rows).to.have.length(2);
    for (const r of rows) {
      expect(r.n).to.equal(30);
      // Every reply answers the first message: one thread per mailbox, batched or not.
      expect(r.threads).to.equal(1);
      // Far fewer transactions than messages: 1 + (the 20, batched) + (the 9, one by one after the
      // failed batch) — at most 1 + 10 + 9.
      expect(r.transactions).to.be.lessThan(21);
    }
    const [after] = await app.ds.query(
      `SELECT used_bytes::bigint AS used FROM mailboxes WHERE tenant_id = $1 AND id = $2`,
      [tenantId, people[0]!.mailbox_id],
    );
    const added = raws.reduce((sum, r) => sum + r.length, 0);
    expect(Number(after.used) - Number(before.used)).to.equal(added);
  });
});
