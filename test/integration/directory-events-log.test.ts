import { expect } from 'chai';
import { createLocalUser, createTenant, tokenFor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

describe('directory event log (console)', function () {
  this.timeout(60_000);
  let app: TestApp;
  let tenantId: string;
  let token: string;

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'eventlogco')).id;
    const admin = await createLocalUser(app, tenantId, { roles: ['admin'] });
    token = tokenFor(app, tenantId, admin.member.id, ['admin']);
    // Ingesting kicks the processor once; this organization has no DingTalk app, so they stay pending.
    for (let i = 1; i <= 5; i++) {
      await app.services.directoryEvents.ingest(tenantId, {
        key: `evt-${i}`,
        type: 'user_modify_org',
        memberIds: [`user${i}`],
        departmentIds: [],
        payload: { EventType: 'user_modify_org', UserId: [`user${i}`] },
      });
    }
    await app.services.directoryEvents.idle();
    await app.ds.query(
      `UPDATE directory_events SET status = 'failed', attempts = 8, last_error = 'upstream 500' WHERE tenant_id = $1 AND event_key = 'evt-2'`,
      [tenantId],
    );
  });
  after(() => app.close());

  const get = (path: string, t = token) =>
    fetch(`${app.url}/api/v1${path}`, { headers: { authorization: `Bearer ${t}` } });

  it('lists events newest first with keyset pages and a status filter', async () => {
    const first = (await (await get('/admin/directory/events?limit=3')).json()) as {
      events: { id: string; userIds: string[] }[];
      nextCursor: string;
    };
    expect(first.events.map((e) => e.userIds[0])).to.deep.equal(['user5', 'user4', 'user3']);
    const second = (await (
      await get(`/admin/directory/events?limit=3&cursor=${first.nextCursor}`)
    ).json()) as {
      events: { userIds: string[] }[];
      nextCursor: string | null;
    };
    expect(second.events.map((e) => e.userIds[0])).to.deep.equal(['user2', 'user1']);
    expect(second.nextCursor).to.equal(null);
    const failed = (await (await get('/admin/directory/events?status=failed')).json()) as {
      events: { status: string; lastError: string; attempts: number }[];
    };
    expect(failed.events).to.have.length(1);
    expect(failed.events[0]).to.include({ status: 'failed', lastError: 'upstream 500', attempts: 8 });
  });

  it('retries a failed event; anything else is 404, bad input is 400', async () => {
    const [{ id }] = await app.ds.query(
      `SELECT id::text FROM directory_events WHERE tenant_id = $1 AND event_key = 'evt-2'`,
      [tenantId],
    );
    const retry = (eventId: string, t = token) =>
      fetch(`${app.url}/api/v1/admin/directory/events/${eventId}/retry`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t}` },
      });
    expect((await retry(id)).status).to.equal(204);
    // Queued again and processed at once: it fails again (this organization has no DingTalk app).
    await app.services.directoryEvents.idle();
    const [row] = await app.ds.query(
      `SELECT status, attempts, last_error FROM directory_events WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    expect(row).to.include({ status: 'pending', attempts: 1 });
    expect(row.last_error).to.be.a('string');
    expect((await retry(id)).status, 'no longer failed').to.equal(404);

    const other = await createTenant(app, 'eventlogother');
    const stranger = await createLocalUser(app, other.id, { roles: ['admin'] });
    const strangerToken = tokenFor(app, other.id, stranger.member.id, ['admin']);
    await app.ds.query(`UPDATE directory_events SET status = 'failed' WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      id,
    ]);
    expect((await retry(id, strangerToken)).status, 'another organization').to.equal(404);
    const theirs = (await (await get('/admin/directory/events', strangerToken)).json()) as {
      events: unknown[];
    };
    expect(theirs.events).to.have.length(0);

    const bad = await get('/admin/directory/events?cursor=abc');
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).to.equal('validation_failed');
    expect((await retry('x1')).status).to.equal(400);
    const employee = tokenFor(
      app,
      tenantId,
      (await createLocalUser(app, tenantId, { roles: ['employee'] })).member.id,
      ['employee'],
    );
    expect((await get('/admin/directory/events', employee)).status).to.equal(403);
  });
});
