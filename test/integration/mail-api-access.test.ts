import { expect } from 'chai';
import request from 'supertest';
import { grantRoles, tokenFor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';
import { as, deliver, fixture, mail, startOrg, type Org, type Person, countsDrift } from './mail-api-helpers';

describe('mail API: who may see what, grants, bad input', function () {
  this.timeout(60_000);
  let app: TestApp;
  let orgA: Org;
  let orgB: Org;
  let alice: Person;
  let colleague: Person;
  let stranger: Person;
  let assistant: Person;
  let messageId: string;
  let threadId: string;
  let folderId: string;

  before(async () => {
    app = await startTestApp();
    orgA = await startOrg(app, 'access-a', 6, 11);
    orgB = await startOrg(app, 'access-b', 3, 12);
    [alice, colleague, assistant] = orgA.people as [Person, Person, Person];
    stranger = orgB.people[0]!;
    [messageId] = (await deliver(app, orgA.tenantId, [alice], fixture('rfc2231-filename.eml'))) as [string];
    folderId = (await as(app, alice).post('/mail/folders', { name: '私人' }).expect(201)).body.id;
    threadId = (await as(app, alice).get(`/mail/messages/${messageId}`).expect(200)).body.threadId;
    // the outsiders have mail of their own, so they are not merely mailbox-less
    await deliver(app, orgA.tenantId, [colleague], mail({ subject: 'colleague mail' }));
    await deliver(app, orgB.tenantId, [stranger], mail({ subject: 'stranger mail' }));
  });
  afterEach(async () => {
    for (const o of [orgA, orgB]) expect(await countsDrift(app, o.tenantId)).to.deep.equal([]);
  });
  after(async () => {
    await orgA.emulator.close();
    await orgB.emulator.close();
    await app.close();
  });

  /** Every employee endpoint, aimed at alice's things. */
  const endpoints = (): [string, string, object?][] => [
    ['get', '/mail/folders?mailboxId=' + alice.mailboxId],
    ['post', '/mail/folders?mailboxId=' + alice.mailboxId, { name: 'x' }],
    ['post', '/mail/folders', { name: 'sub', parentId: folderId }],
    ['patch', `/mail/folders/${folderId}`, { name: 'renamed' }],
    ['delete', `/mail/folders/${folderId}`],
    ['post', '/mail/folders/trash/empty?mailboxId=' + alice.mailboxId],
    ['get', `/mail/messages?folderId=${folderId}`],
    ['get', '/mail/messages?mailboxId=' + alice.mailboxId],
    ['get', `/mail/search?q=合同&folderId=${folderId}`],
    ['get', `/mail/search?q=合同&mailboxId=${alice.mailboxId}`],
    ['get', `/mail/threads/${threadId}`],
    ['get', `/mail/messages/${messageId}`],
    ['get', `/mail/messages/${messageId}/raw`],
    ['get', `/mail/messages/${messageId}/attachments/att-1`],
    ['patch', `/mail/messages/${messageId}`, { flagged: true }],
    ['delete', `/mail/messages/${messageId}`],
    ['post', '/mail/messages/batch', { ids: [messageId], action: 'move', folderId }],
    ['post', '/mail/messages/batch?mailboxId=' + alice.mailboxId, { ids: [messageId], action: 'seen' }],
  ];

  for (const who of ['colleague', 'stranger'] as const) {
    it(`a ${who === 'colleague' ? 'colleague in the same tenant' : 'member of another tenant'} gets 404 with the envelope on every endpoint`, async () => {
      const p = who === 'colleague' ? colleague : stranger;
      const c = as(app, p);
      for (const [method, url, body] of endpoints()) {
        const res = await (method === 'get' || method === 'delete'
          ? c[method](url)
          : c[method as 'post' | 'patch'](url, body ?? {}));
        expect(res.status, `${method} ${url}`).to.equal(404);
        expect(res.body.error.code, `${method} ${url}`).to.equal('not_found');
        expect(res.body.error.requestId).to.be.a('string');
      }
      // ids that are not theirs are simply not touched by a batch on their own mailbox
      const own = await c.post('/mail/messages/batch', { ids: [messageId], action: 'trash' }).expect(200);
      expect(own.body.affected).to.equal(0);
      const [row] = await app.ds.query(
        `SELECT folder_id, is_flagged FROM messages WHERE tenant_id = $1 AND id = $2`,
        [orgA.tenantId, messageId],
      );
      expect(row.is_flagged).to.equal(false);
      const [{ n }] = await app.ds.query(
        `SELECT count(*)::int AS n FROM folders WHERE tenant_id = $1 AND id = $2`,
        [orgA.tenantId, folderId],
      );
      expect(n).to.equal(1);
    });
  }

  it('an admin grants read access: the grantee reads but cannot modify; full access can; revoking ends it; all audited', async () => {
    await grantRoles(app, orgA.tenantId, orgA.people[5]!.memberId, ['admin']);
    const adminToken = tokenFor(app, orgA.tenantId, orgA.people[5]!.memberId, ['admin']);
    const admin = (r: request.Test) => r.set('authorization', `Bearer ${adminToken}`);
    // employees cannot grant themselves anything
    await as(app, assistant)
      .post('/admin/mailbox-grants')
      .send({ mailboxId: alice.mailboxId, memberId: assistant.memberId, access: 'full' })
      .expect(403);
    const grant = (
      await admin(request(app.url).post('/api/v1/admin/mailbox-grants'))
        .send({ mailboxId: alice.mailboxId, memberId: assistant.memberId, access: 'read' })
        .expect(201)
    ).body;
    expect(grant).to.include({ mailboxId: alice.mailboxId, memberId: assistant.memberId, access: 'read' });
    // a mailbox of another tenant cannot be granted
    await admin(request(app.url).post('/api/v1/admin/mailbox-grants'))
      .send({ mailboxId: stranger.mailboxId, memberId: assistant.memberId, access: 'read' })
      .expect(404);

    const c = as(app, assistant);
    const q = `mailboxId=${alice.mailboxId}`;
    const boxes = (await c.get('/mail/mailboxes').expect(200)).body.mailboxes;
    expect(boxes.map((b: { access: string }) => b.access)).to.deep.equal(['owner', 'read']);
    await c.get(`/mail/folders?${q}`).expect(200);
    const list = (await c.get(`/mail/messages?${q}`).expect(200)).body.messages;
    expect(list.map((m: { id: string }) => m.id)).to.include(messageId);
    const read = (await c.get(`/mail/messages/${messageId}?${q}&markSeen=1`).expect(200)).body;
    expect(read.flags.seen).to.equal(false);
    expect(read.attachments[0].url).to.include(`mailboxId=${alice.mailboxId}`);
    await c.get(read.attachments[0].url.replace('/api/v1', '')).expect(200);
    await c.get(`/mail/messages/${messageId}/raw?${q}`).expect(200);
    await c.get(`/mail/search?q=attachments&${q}`).expect(200);
    for (const res of [
      await c.patch(`/mail/messages/${messageId}?${q}`, { seen: true }),
      await c.post(`/mail/messages/batch?${q}`, { ids: [messageId], action: 'trash' }),
      await c.delete(`/mail/messages/${messageId}?${q}`),
      await c.post(`/mail/folders?${q}`, { name: 'assistant folder' }),
      await c.patch(`/mail/folders/${folderId}?${q}`, { name: 'x' }),
      await c.delete(`/mail/folders/${folderId}?${q}`),
      await c.post(`/mail/folders/trash/empty?${q}`),
    ]) {
      expect(res.status).to.equal(403);
      expect(res.body.error.code).to.equal('mail.read_only');
    }
    // the mailbox's own folders are still resolved in alice's mailbox, not the assistant's
    await c.get(`/mail/messages?folderId=${folderId}&${q}`).expect(200);
    await c.get(`/mail/messages?folderId=${folderId}`).expect(404);

    // upgrade to full
    await admin(request(app.url).post('/api/v1/admin/mailbox-grants'))
      .send({ mailboxId: alice.mailboxId, memberId: assistant.memberId, access: 'full' })
      .expect(201);
    await c.patch(`/mail/messages/${messageId}?${q}`, { flagged: true }).expect(200);
    const listed = (
      await admin(request(app.url).get(`/api/v1/admin/mailbox-grants?mailboxId=${alice.mailboxId}`)).expect(
        200,
      )
    ).body;
    expect(listed.grants).to.have.length(1);
    expect(listed.grants[0].access).to.equal('full');

    await admin(request(app.url).delete(`/api/v1/admin/mailbox-grants/${grant.id}`)).expect(204);
    await admin(request(app.url).delete(`/api/v1/admin/mailbox-grants/${grant.id}`)).expect(404);
    await c.get(`/mail/messages?${q}`).expect(404);
    const audit = await app.ds.query(
      `SELECT action FROM audit_log WHERE tenant_id = $1 AND action LIKE 'mailbox_grant.%' ORDER BY id`,
      [orgA.tenantId],
    );
    expect(audit.map((a: { action: string }) => a.action)).to.deep.equal([
      'mailbox_grant.create',
      'mailbox_grant.create',
      'mailbox_grant.revoke',
    ]);
  });

  it('bad input gets a 400 or 404 envelope, never a crash', async () => {
    const c = as(app, alice);
    const cases: [string, string, number, string, object?][] = [
      ['get', '/mail/messages?cursor=bm90LWEtY3Vyc29y', 400, 'mail.bad_cursor'],
      ['get', '/mail/messages?cursor=%%%', 400, 'validation_failed'],
      ['get', '/mail/search?q=x&cursor=AAAA', 400, 'mail.bad_cursor'],
      ['get', '/mail/messages?limit=1000', 400, 'validation_failed'],
      ['get', '/mail/messages?limit=abc', 400, 'validation_failed'],
      ['get', '/mail/messages?unread=maybe', 400, 'validation_failed'],
      ['get', '/mail/messages?folderRole=spam', 400, 'validation_failed'],
      ['get', '/mail/messages?folderId=not-a-uuid', 400, 'validation_failed'],
      ['get', '/mail/messages?folderId=00000000-0000-4000-8000-000000000000', 404, 'not_found'],
      ['get', '/mail/messages?mailboxId=00000000-0000-4000-8000-000000000000', 404, 'not_found'],
      ['get', '/mail/messages/not-a-uuid', 400, 'validation_failed'],
      ['get', '/mail/messages/00000000-0000-4000-8000-000000000000', 404, 'not_found'],
      ['get', '/mail/messages/not-a-uuid/raw', 400, 'validation_failed'],
      ['get', `/mail/messages/${'0'.repeat(8)}/attachments/x`, 400, 'validation_failed'],
      ['get', '/mail/threads/123', 400, 'validation_failed'],
      ['get', '/mail/search', 400, 'validation_failed'],
      ['get', `/mail/search?q=${'长'.repeat(300)}`, 400, 'validation_failed'],
      ['patch', '/mail/messages/00000000-0000-4000-8000-000000000000', 404, 'not_found', { seen: true }],
      ['patch', `/mail/messages/${'1'.repeat(8)}`, 400, 'validation_failed', { seen: true }],
      ['post', '/mail/messages/batch', 400, 'validation_failed', { ids: [], action: 'seen' }],
      ['post', '/mail/messages/batch', 400, 'validation_failed', { ids: ['x'], action: 'seen' }],
      [
        'post',
        '/mail/messages/batch',
        400,
        'validation_failed',
        { ids: [crypto.randomUUID()], action: 'explode' },
      ],
      [
        'post',
        '/mail/messages/batch',
        400,
        'validation_failed',
        { ids: [crypto.randomUUID()], action: 'move' },
      ],
      [
        'post',
        '/mail/messages/batch',
        400,
        'validation_failed',
        { ids: Array.from({ length: 501 }, () => crypto.randomUUID()), action: 'seen' },
      ],
      [
        'post',
        '/mail/messages/batch',
        404,
        'not_found',
        { ids: [crypto.randomUUID()], action: 'move', folderId: crypto.randomUUID() },
      ],
      ['post', '/mail/folders', 400, 'validation_failed', { name: '   ' }],
      ['post', '/mail/folders', 400, 'validation_failed', { name: 'a/b' }],
      ['post', '/mail/folders', 400, 'validation_failed', { name: 'x'.repeat(101) }],
      ['post', '/mail/folders', 404, 'not_found', { name: 'orphan', parentId: crypto.randomUUID() }],
      ['patch', `/mail/folders/${folderId}`, 400, 'validation_failed', {}],
      ['post', '/mail/folders/inbox/empty', 400, 'validation_failed'],
    ];
    for (const [method, url, status, code, body] of cases) {
      const res = await (method === 'get' ? c.get(url) : c[method as 'post' | 'patch'](url, body ?? {}));
      expect(res.status, `${method} ${url}`).to.equal(status);
      expect(res.body.error?.code, `${method} ${url}`).to.equal(code);
    }
    const anon = await request(app.url).get('/api/v1/mail/messages').expect(401);
    expect(anon.body.error.code).to.equal('unauthenticated');
    await request(app.url).get(`/api/v1/mail/messages/${messageId}/raw`).expect(401);
    await request(app.url).get(`/api/v1/mail/messages/${messageId}/attachments/att-1`).expect(401);
  });
});
