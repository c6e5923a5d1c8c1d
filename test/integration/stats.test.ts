import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { lastLocalDays } from '../../server/modules/stats';
import { createLocalUser, createTenant, tokenFor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

const raw = readFileSync(path.resolve('test/fixtures/mail/plain.eml'));

describe('daily statistics roll-up', function () {
  this.timeout(60_000);
  let app: TestApp;
  let tenantId: string;
  let token: string;
  let mailboxes: string[];

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'statsco')).id;
    const admin = await createLocalUser(app, tenantId, { roles: ['admin'] });
    token = tokenFor(app, tenantId, admin.member.id, ['admin']);
    const [domain] = await app.ds.query(`SELECT id FROM domains WHERE tenant_id = $1`, [tenantId]);
    mailboxes = [];
    for (const local of ['a', 'b', 'c']) {
      const [box] = await app.ds.query(
        `INSERT INTO mailboxes (tenant_id, domain_id, local_part) VALUES ($1, $2, $3) RETURNING id`,
        [tenantId, domain.id, local],
      );
      mailboxes.push(box.id);
    }
    await app.ds.query(`UPDATE mailboxes SET status = 'suspended' WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      mailboxes[2],
    ]);
  });
  after(() => app.close());

  const target = (mailboxId: string) => ({
    mailboxId,
    memberId: null,
    status: 'active' as const,
    quotaBytes: 1e9,
    usedBytes: 0,
  });

  it('counts the day’s mail by folder, snapshots storage and mailboxes, and is idempotent', async () => {
    await app.services.delivery.deliver({
      tenantId,
      raw,
      targets: [target(mailboxes[0]!), target(mailboxes[1]!)],
    });
    await app.services.delivery.deliver({
      tenantId,
      raw: Buffer.concat([raw, Buffer.from('x')]),
      targets: [target(mailboxes[0]!)],
    });
    // One copy filed as junk, one sent copy: counted apart from received mail.
    await app.ds.query(
      `UPDATE messages SET folder_id = (SELECT id FROM folders WHERE tenant_id = $1 AND mailbox_id = $2 AND role = 'junk')
        WHERE tenant_id = $1 AND mailbox_id = $2 AND id = (SELECT id FROM messages WHERE tenant_id = $1 AND mailbox_id = $2 LIMIT 1)`,
      [tenantId, mailboxes[1]],
    );
    // created_at is the database's clock; the roll-up window is the app clock's.
    app.clock.set(new Date());

    const first = await app.services.stats.rollUp();
    expect(first.tenants).to.be.greaterThan(0);
    await app.services.stats.rollUp();

    const today = lastLocalDays(app.clock.now(), 'Asia/Shanghai', 1)[0]!;
    const res = await fetch(`${app.url}/api/v1/admin/stats?from=${today}&to=${today}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { series: { metric: string; points: { value: number }[] }[] };
    const value = (metric: string) => body.series.find((s) => s.metric === metric)!.points[0]!.value;
    expect(value('mail.received')).to.equal(2);
    expect(value('mail.junk')).to.equal(1);
    expect(value('mail.sent')).to.equal(0);
    expect(value('mailboxes.active')).to.equal(2);
    expect(value('mailboxes.suspended')).to.equal(1);
    const [{ used }] = await app.ds.query(
      `SELECT sum(used_bytes)::bigint AS used FROM mailboxes WHERE tenant_id = $1`,
      [tenantId],
    );
    expect(value('storage.used_bytes')).to.equal(Number(used));
  });

  it('fills days without data with zeros and refuses bad ranges and unknown metrics', async () => {
    const ok = await fetch(`${app.url}/api/v1/admin/stats?from=2026-01-01&to=2026-01-03&metrics=mail.sent`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await ok.json()) as {
      series: { metric: string; points: { day: string; value: number }[] }[];
    };
    expect(body.series).to.have.length(1);
    expect(body.series[0]!.points).to.deep.equal([
      { day: '2026-01-01', value: 0 },
      { day: '2026-01-02', value: 0 },
      { day: '2026-01-03', value: 0 },
    ]);
    for (const q of [
      'from=2026-02-01&to=2026-01-01',
      'from=2024-01-01&to=2026-01-01',
      'from=2026-01-01&to=2026-01-02&metrics=nope',
      'from=x&to=y',
    ]) {
      const bad = await fetch(`${app.url}/api/v1/admin/stats?${q}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(bad.status, q).to.equal(400);
    }
    const other = await createTenant(app, 'statsother');
    const stranger = await createLocalUser(app, other.id, { roles: ['admin'] });
    const theirs = await fetch(
      `${app.url}/api/v1/admin/stats?from=2026-01-01&to=2026-12-31&metrics=mail.received`,
      {
        headers: { authorization: `Bearer ${tokenFor(app, other.id, stranger.member.id, ['admin'])}` },
      },
    );
    const theirBody = (await theirs.json()) as { series: { points: { value: number }[] }[] };
    expect(
      theirBody.series[0]!.points.every((p) => p.value === 0),
      'another organization sees only its own',
    ).to.equal(true);
  });
});
