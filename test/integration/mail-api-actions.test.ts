import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/test-app';
import {
  as,
  deliver,
  folderIds,
  mail,
  startOrg,
  usedBytes,
  type Org,
  type Person,
  countsDrift,
} from './mail-api-helpers';

describe('mail API: folders and message actions', function () {
  this.timeout(60_000);
  let app: TestApp;
  let org: Org;

  before(async () => {
    app = await startTestApp();
    org = await startOrg(app, 'mailact');
  });
  afterEach(async () => {
    expect(await countsDrift(app, org.tenantId)).to.deep.equal([]);
  });
  after(async () => {
    await org.emulator.close();
    await app.close();
  });

  const folderOf = async (p: Person, id: string) => {
    const [row] = await app.ds.query(`SELECT folder_id FROM messages WHERE tenant_id = $1 AND id = $2`, [
      p.tenantId,
      id,
    ]);
    return row?.folder_id as string | undefined;
  };

  it('creates nested custom folders, unique per parent ignoring case, renames and moves without cycles', async () => {
    const p = org.people[0]!;
    const c = as(app, p);
    const projects = (await c.post('/mail/folders', { name: '项目 Projects' }).expect(201)).body;
    expect(projects).to.include({ name: '项目 Projects', role: null, parentId: null, total: 0, unread: 0 });
    const dup = await c.post('/mail/folders', { name: '项目 PROJECTS' }).expect(409);
    expect(dup.body.error.code).to.equal('mail.folder_exists');
    const child = (await c.post('/mail/folders', { name: '合同', parentId: projects.id }).expect(201)).body;
    const grandchild = (
      await c.post('/mail/folders', { name: 'Archive 2024', parentId: child.id }).expect(201)
    ).body;
    // same name under another parent is fine
    await c.post('/mail/folders', { name: '合同' }).expect(201);
    const cycle = await c.patch(`/mail/folders/${projects.id}`, { parentId: grandchild.id }).expect(400);
    expect(cycle.body.error.code).to.equal('mail.folder_cycle');
    await c.patch(`/mail/folders/${projects.id}`, { parentId: projects.id }).expect(400);
    const renamed = (await c.patch(`/mail/folders/${child.id}`, { name: '合同 2025' }).expect(200)).body;
    expect(renamed).to.include({ name: '合同 2025', parentId: projects.id });
    const moved = (await c.patch(`/mail/folders/${grandchild.id}`, { parentId: null }).expect(200)).body;
    expect(moved.parentId).to.equal(null);
    // moving next to a same-named sibling conflicts
    await c.patch(`/mail/folders/${renamed.id}`, { name: '合同', parentId: null }).expect(409);
    const f = await folderIds(app, p);
    const sys = await c.delete(`/mail/folders/${f.inbox}`).expect(400);
    expect(sys.body.error.code).to.equal('mail.system_folder');
    await c.patch(`/mail/folders/${f.inbox}`, { name: 'Mine' }).expect(400);
    const list = (await c.get('/mail/folders').expect(200)).body.folders;
    expect(list.find((x: { id: string }) => x.id === child.id).parentId).to.equal(projects.id);
  });

  it('deleting a custom folder moves its (and its subfolders’) messages to Trash; restore then uses the Inbox', async () => {
    const p = org.people[1]!;
    const c = as(app, p);
    const parent = (await c.post('/mail/folders', { name: 'Old' }).expect(201)).body;
    const sub = (await c.post('/mail/folders', { name: 'Older', parentId: parent.id }).expect(201)).body;
    const [m1] = await deliver(app, org.tenantId, [p], mail({ subject: 'in parent' }));
    const [m2] = await deliver(app, org.tenantId, [p], mail({ subject: 'in sub' }));
    await c.patch(`/mail/messages/${m1}`, { folderId: parent.id }).expect(200);
    await c.post('/mail/messages/batch', { ids: [m2], action: 'move', folderId: sub.id }).expect(200);
    expect((await c.delete(`/mail/folders/${parent.id}`).expect(200)).body).to.deep.equal({ affected: 2 });
    const f = await folderIds(app, p);
    expect(await folderOf(p, m1!)).to.equal(f.trash);
    expect(await folderOf(p, m2!)).to.equal(f.trash);
    await c.get(`/mail/messages?folderId=${sub.id}`).expect(404);
    expect(
      (await c.post('/mail/messages/batch', { ids: [m1, m2], action: 'restore' }).expect(200)).body.affected,
    ).to.equal(2);
    expect(await folderOf(p, m1!)).to.equal(f.inbox);
  });

  it('flags, moves, trashes (remembering the folder), restores, deletes for good and empties Trash with quota decreasing', async () => {
    const p = org.people[2]!;
    const other = org.people[3]!;
    const c = as(app, p);
    const work = (await c.post('/mail/folders', { name: '工作' }).expect(201)).body;
    const f = await folderIds(app, p);
    const shared = mail({ subject: '共享内容 shared', body: 'x'.repeat(4000) });
    const [a, b] = [
      (await deliver(app, org.tenantId, [p, other], shared))[0]!,
      (await deliver(app, org.tenantId, [p], mail({ subject: 'only mine', body: 'y'.repeat(3000) })))[0]!,
    ];
    const flagged = (
      await c.patch(`/mail/messages/${a}`, { flagged: true, labels: ['重要', 'q3', '重要'] }).expect(200)
    ).body;
    expect(flagged.flags.flagged).to.equal(true);
    expect(flagged.labels).to.deep.equal(['重要', 'q3']);
    await c.patch(`/mail/messages/${a}`, { answered: true }).expect(200);
    expect(
      (await c.post('/mail/messages/batch', { ids: [a, b], action: 'seen' }).expect(200)).body.affected,
    ).to.equal(2);
    expect(
      (await c.post('/mail/messages/batch', { ids: [a, b], action: 'unflag' }).expect(200)).body.affected,
    ).to.equal(1);
    await c.post('/mail/messages/batch', { ids: [a, b], action: 'move', folderId: work.id }).expect(200);
    expect(await folderOf(p, a)).to.equal(work.id);

    // trash then restore: back to 工作, not the Inbox
    await c.post('/mail/messages/batch', { ids: [a, b], action: 'trash' }).expect(200);
    expect(await folderOf(p, a)).to.equal(f.trash);
    await c.post('/mail/messages/batch', { ids: [a], action: 'restore' }).expect(200);
    expect(await folderOf(p, a)).to.equal(work.id);

    // DELETE: first to Trash, then (already in Trash) for good
    const before = await usedBytes(app, p);
    expect((await c.delete(`/mail/messages/${a}`).expect(200)).body).to.deep.equal({ outcome: 'trashed' });
    expect(await usedBytes(app, p)).to.equal(before);
    const [{ sha, size }] = await app.ds.query(
      `SELECT blob_sha256 AS sha, size FROM messages WHERE tenant_id = $1 AND id = $2`,
      [org.tenantId, a],
    );
    expect((await c.delete(`/mail/messages/${a}`).expect(200)).body).to.deep.equal({ outcome: 'deleted' });
    expect(await usedBytes(app, p)).to.equal(before - Number(size));
    await c.get(`/mail/messages/${a}`).expect(404);
    // the other mailbox still has its copy, so the blob stays
    const blobCount = async (s: string) =>
      (
        await app.ds.query(`SELECT count(*)::int AS n FROM mail_blobs WHERE tenant_id = $1 AND sha256 = $2`, [
          org.tenantId,
          s,
        ])
      )[0].n;
    expect(await blobCount(sha)).to.equal(1);

    // 'delete' in a batch only touches Trash/Junk messages
    const [c1] = await deliver(app, org.tenantId, [p], mail({ subject: 'stays in inbox' }));
    expect(
      (await c.post('/mail/messages/batch', { ids: [c1], action: 'delete' }).expect(200)).body.affected,
    ).to.equal(0);

    // empty Trash: b goes, its blob too (nobody else has it)
    const [{ sha: shaB, size: sizeB }] = await app.ds.query(
      `SELECT blob_sha256 AS sha, size FROM messages WHERE tenant_id = $1 AND id = $2`,
      [org.tenantId, b],
    );
    const used = await usedBytes(app, p);
    const trashCount = (await c.get('/mail/folders').expect(200)).body.folders.find(
      (x: { role: string }) => x.role === 'trash',
    ).total;
    expect((await c.post('/mail/folders/trash/empty').expect(200)).body.affected).to.equal(trashCount);
    expect(await usedBytes(app, p)).to.equal(used - Number(sizeB));
    expect(await blobCount(shaB)).to.equal(0);
    expect(await folderOf(p, c1!)).to.equal(f.inbox);

    // the other recipient deletes theirs: now the shared blob goes
    const [otherCopy] = await app.ds.query(
      `SELECT id FROM messages WHERE tenant_id = $1 AND mailbox_id = $2 AND blob_sha256 = $3`,
      [org.tenantId, other.mailboxId, sha],
    );
    await as(app, other)
      .post('/mail/messages/batch', { ids: [otherCopy.id], action: 'trash' })
      .expect(200);
    await as(app, other)
      .post('/mail/messages/batch', { ids: [otherCopy.id], action: 'delete' })
      .expect(200);
    expect(await blobCount(sha)).to.equal(0);
    await c.post('/mail/folders/junk/empty').expect(200);
  });

  it('a blob delivered again while its last copy is being deleted is never lost', async () => {
    const p = org.people[4]!;
    const c = as(app, p);
    const raw = mail({ subject: 'race 竞争' });
    for (let i = 0; i < 5; i++) {
      const [id] = await deliver(app, org.tenantId, [p], raw);
      await c.post('/mail/messages/batch', { ids: [id], action: 'trash' }).expect(200);
      const [empty, again] = await Promise.allSettled([
        c.post('/mail/folders/trash/empty'),
        deliver(app, org.tenantId, [p], raw),
      ]);
      expect(empty.status).to.equal('fulfilled');
      if (again.status === 'fulfilled') {
        // the new copy must be readable: its blob exists
        await c.get(`/mail/messages/${again.value[0]}/raw`).expect(200);
      }
    }
  });
});
