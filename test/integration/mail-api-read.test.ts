import { expect } from 'chai';
import request from 'supertest';
import { MessageSearchService } from '../../server/modules/mail';
import { startTestApp, type TestApp } from '../support/test-app';
import {
  as,
  deliver,
  fixture,
  folderIds,
  mail,
  startOrg,
  type Org,
  type Person,
  countsDrift,
} from './mail-api-helpers';

describe('mail API: folders, lists, reading, search', function () {
  this.timeout(60_000);
  let app: TestApp;
  let org: Org;
  let alice: Person;
  let bob: Person;

  before(async () => {
    app = await startTestApp();
    org = await startOrg(app, 'mailread');
    [alice, bob] = org.people as [Person, Person];
  });
  afterEach(async () => {
    expect(await countsDrift(app, org.tenantId)).to.deep.equal([]);
  });
  after(async () => {
    await org.emulator.close();
    await app.close();
  });

  it('lists system folders with roles, and counts change as mail arrives and gets read', async () => {
    const first = await as(app, alice).get('/mail/folders').expect(200);
    const roles = first.body.folders.map((f: { role: string }) => f.role);
    expect(roles).to.include.members(['inbox', 'sent', 'drafts', 'scheduled', 'trash', 'junk', 'archive']);
    const inbox = () =>
      as(app, alice)
        .get('/mail/folders')
        .then((r) => r.body.folders.find((f: { role: string }) => f.role === 'inbox'));
    const before = await inbox();
    const [id] = await deliver(app, org.tenantId, [alice], mail({ subject: '计数测试 count' }));
    const after = await inbox();
    expect(after.total).to.equal(before.total + 1);
    expect(after.unread).to.equal(before.unread + 1);
    await as(app, alice).patch(`/mail/messages/${id}`, { seen: true }).expect(200);
    const read = await inbox();
    expect(read.unread).to.equal(before.unread);
    expect(read.total).to.equal(before.total + 1);
  });

  it('pages by keyset with no duplicates or gaps while new mail arrives, ties broken by id', async () => {
    const box = org.people[2]!;
    const base = Date.now() - 3_600_000;
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) {
      // eight messages share one timestamp: the id must order them
      const at = new Date(base + (i < 8 ? 0 : i * 1000));
      ids.push(...(await deliver(app, org.tenantId, [box], mail({ subject: `分页 page ${i}` }), at)));
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: request.Response = await as(app, box)
        .get(`/mail/messages?limit=5${cursor ? `&cursor=${cursor}` : ''}`)
        .expect(200);
      seen.push(...res.body.messages.map((m: { id: string }) => m.id));
      cursor = res.body.nextCursor;
      // newer mail arriving mid-way must not shift the pages still to come
      await deliver(app, org.tenantId, [box], mail({ subject: `new during paging ${pages}` }));
      pages++;
    } while (cursor);
    const older = seen.filter((id) => ids.includes(id));
    expect(new Set(seen).size).to.equal(seen.length);
    expect(older).to.have.members(ids);
    const received = await app.ds.query(
      `SELECT id FROM messages WHERE tenant_id = $1 AND id = ANY($2) ORDER BY received_at DESC, id DESC`,
      [org.tenantId, ids],
    );
    expect(older).to.deep.equal(received.map((r: { id: string }) => r.id));
  });

  it('filters: unread, flagged, hasAttachments, folderRole', async () => {
    const box = org.people[3]!;
    const [plain] = await deliver(app, org.tenantId, [box], mail({ subject: 'plain one' }));
    const [withFile] = await deliver(app, org.tenantId, [box], fixture('rfc2231-filename.eml'));
    const [flagged] = await deliver(app, org.tenantId, [box], mail({ subject: 'flag me' }));
    await as(app, box).patch(`/mail/messages/${flagged}`, { flagged: true, seen: true }).expect(200);
    const list = async (q: string) =>
      (await as(app, box).get(`/mail/messages?${q}`).expect(200)).body.messages.map(
        (m: { id: string }) => m.id,
      );
    expect(await list('flagged=1')).to.deep.equal([flagged]);
    expect(await list('unread=1')).to.have.members([plain, withFile]);
    expect(await list('unread=0')).to.deep.equal([flagged]);
    expect(await list('hasAttachments=true')).to.deep.equal([withFile]);
    expect(await list('folderRole=sent')).to.deep.equal([]);
    const f = await folderIds(app, box);
    expect(await list(`folderId=${f.inbox}`)).to.have.length(3);
    const one = (await as(app, box).get('/mail/messages?flagged=1').expect(200)).body.messages[0];
    expect(one).to.include({ subject: 'flag me', importance: 'normal', hasAttachments: false });
    expect(one.flags).to.deep.equal({ seen: true, flagged: true, answered: false });
    expect(one.from).to.deep.equal({ name: 'Zhang San', address: 'zhangsan@example.cn' });
  });

  it('returns sanitized HTML for every XSS vector: no <script, onerror, javascript:', async () => {
    const vectors: { name: string; html: string }[] = JSON.parse(
      fixture('xss/vectors.json').toString('utf8'),
    );
    const html = vectors.map((v) => `<div>${v.html}</div>`).join('\n');
    const [id] = await deliver(app, org.tenantId, [bob], mail({ subject: 'xss', html }));
    const res = await as(app, bob).get(`/mail/messages/${id}`).expect(200);
    expect(res.body.html).to.be.a('string');
    const out = (res.body.html as string).toLowerCase();
    expect(out).not.to.include('<script');
    expect(out).not.to.match(/\sonerror\s*=/);
    expect(out).not.to.match(/\son[a-z]+\s*=/);
    expect(out).not.to.include('javascript:');
    // one vector at a time, too (a vector may only work on its own)
    for (const v of vectors.slice(0, 20)) {
      const [one] = await deliver(app, org.tenantId, [bob], mail({ subject: `xss ${v.name}`, html: v.html }));
      const body = (await as(app, bob).get(`/mail/messages/${one}`).expect(200)).body;
      const lower = String(body.html ?? '').toLowerCase();
      expect(lower, v.name).not.to.include('<script');
      expect(lower, v.name).not.to.include('javascript:');
      expect(lower, v.name).not.to.match(/\son[a-z]+\s*=/);
    }
  });

  it('blocks remote images unless asked, and marks nothing seen unless asked', async () => {
    const html = '<p>hi</p><img src="https://tracker.example/big.png" width="300" height="200">';
    const [id] = await deliver(app, org.tenantId, [bob], mail({ subject: 'remote', html }));
    const blocked = (await as(app, bob).get(`/mail/messages/${id}`).expect(200)).body;
    expect(blocked.html).not.to.match(/\ssrc="https:\/\/tracker\.example/);
    expect(blocked.html).to.include('data-orgmail-blocked-src');
    expect(blocked.blockedRemoteImages).to.equal(1);
    expect(blocked.flags.seen).to.equal(false);
    const allowed = (await as(app, bob).get(`/mail/messages/${id}?remoteImages=1&markSeen=1`).expect(200))
      .body;
    expect(allowed.html).to.include('src="https://tracker.example/big.png"');
    expect(allowed.flags.seen).to.equal(true);
    const [{ is_seen }] = await app.ds.query(
      `SELECT is_seen FROM messages WHERE tenant_id = $1 AND id = $2`,
      [org.tenantId, id],
    );
    expect(is_seen).to.equal(true);
  });

  it('rewrites cid: images to a signed attachment link that serves the image inline', async () => {
    const [id] = await deliver(app, org.tenantId, [bob], fixture('html-with-cid.eml'));
    const body = (await as(app, bob).get(`/mail/messages/${id}`).expect(200)).body;
    const src = /<img[^>]*src="([^"]+)"/.exec(body.html)?.[1];
    expect(src).to.match(
      new RegExp(`^/api/v1/mail/messages/${id}/attachments/att-\\d+\\?inline=1&amp;token=`),
    );
    expect(body.headers.subject).to.equal('Logo');
    const img = await request(app.url).get(src!.replace(/&amp;/g, '&')).expect(200);
    expect(img.headers['content-type']).to.equal('image/png');
    expect(img.headers['content-disposition']).to.match(/^inline;/);
    expect(img.headers['x-content-type-options']).to.equal('nosniff');
    expect(img.headers['content-security-policy']).to.include('sandbox');
    // the link is bound to its message and part
    await request(app.url).get(src!.replace(/&amp;/g, '&').replace('att-', 'att-9')).expect(404);
    // a forged token is refused with the envelope
    const forged = await request(app.url)
      .get(`/api/v1/mail/messages/${id}/attachments/att-1?inline=1&token=abc.def`)
      .expect(404);
    expect(forged.body.error.code).to.equal('not_found');
  });

  it('falls back to text for oversized or pathologically nested HTML', async () => {
    const deep = '<div>'.repeat(5000) + 'deep' + '</div>'.repeat(5000);
    const [id] = await deliver(
      app,
      org.tenantId,
      [bob],
      mail({ subject: 'deep', html: deep, body: '深层文本' }),
    );
    const body = (await as(app, bob).get(`/mail/messages/${id}`).expect(200)).body;
    expect(body.html).to.equal(null);
    expect(body.htmlOmitted).to.equal('too_deep');
    expect(body.text).to.include('深层文本');
  });

  it('raw download returns the exact stored bytes as an .eml with an RFC 5987 file name', async () => {
    const raw = fixture('rfc2047-subject-gbk.eml');
    const [id] = await deliver(app, org.tenantId, [bob], raw);
    const res = await as(app, bob)
      .get(`/mail/messages/${id}/raw`)
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      })
      .expect(200);
    const [stored] = await app.ds.query(
      `SELECT b.content FROM messages m JOIN mail_blobs b ON b.tenant_id = m.tenant_id AND b.sha256 = m.blob_sha256
        WHERE m.tenant_id = $1 AND m.id = $2`,
      [org.tenantId, id],
    );
    expect(Buffer.compare(res.body as Buffer, stored.content)).to.equal(0);
    expect(res.headers['content-type']).to.match(/^message\/rfc822/);
    expect(res.headers['content-disposition']).to.include(
      `filename*=UTF-8''${encodeURIComponent('采购合同（第二版）.eml')}`,
    );
  });

  it('attachment download keeps Chinese file names and never serves active content inline', async () => {
    const [id] = await deliver(app, org.tenantId, [bob], fixture('rfc2231-filename.eml'));
    const body = (await as(app, bob).get(`/mail/messages/${id}`).expect(200)).body;
    const pdf = body.attachments.find((a: { filename: string }) => a.filename === '采购合同.pdf');
    expect(pdf, JSON.stringify(body.attachments)).to.not.equal(undefined);
    const res = await as(app, bob).get(pdf.url.replace('/api/v1', '')).buffer(true).expect(200);
    expect(res.headers['content-disposition']).to.equal(
      `attachment; filename="____.pdf"; filename*=UTF-8''${encodeURIComponent('采购合同.pdf')}`,
    );
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    expect(res.headers['content-type']).to.equal('application/octet-stream');
    const xlsx = body.attachments.find((a: { filename: string }) => a.filename.endsWith('.xlsx'));
    expect(xlsx.filename).to.equal('报价单（最终）.xlsx');
    const dl = await as(app, bob).get(xlsx.url.replace('/api/v1', '')).buffer(true).expect(200);
    expect(dl.headers['content-disposition']).to.include(encodeURIComponent('报价单（最终）.xlsx'));
    // asking for inline does not make a non-image (or a non-cid part) inline
    const asked = await as(app, bob)
      .get(`${pdf.url.replace('/api/v1', '')}?inline=1`)
      .expect(200);
    expect(asked.headers['content-disposition']).to.match(/^attachment;/);
    await as(app, bob).get(`/mail/messages/${id}/attachments/att-77`).expect(404);
  });

  it('searches Chinese (bigrams), English words, addresses and single characters', async () => {
    const box = org.people[4]!;
    const [contract] = await deliver(
      app,
      org.tenantId,
      [box],
      mail({ subject: '采购合同第三版', body: 'see attached' }),
    );
    const [budget] = await deliver(
      app,
      org.tenantId,
      [box],
      mail({
        subject: 'Quarterly budget review',
        body: 'The budget numbers for Q3',
        from: 'Wang Wu <wangwu@partner.com>',
      }),
    );
    await deliver(app, org.tenantId, [box], mail({ subject: '无关的邮件 unrelated', body: 'nothing here' }));
    const q = async (text: string) =>
      (
        await as(app, box)
          .get(`/mail/search?q=${encodeURIComponent(text)}`)
          .expect(200)
      ).body.messages.map((m: { id: string }) => m.id);
    expect(await q('合同')).to.deep.equal([contract]);
    expect(await q('采购合同')).to.deep.equal([contract]);
    expect(await q('budget')).to.deep.equal([budget]);
    expect(await q('BUDGET review')).to.deep.equal([budget]);
    expect(await q('numbers')).to.deep.equal([budget]);
    expect(await q('wangwu@partner.com')).to.deep.equal([budget]);
    expect(await q('partner.com')).to.deep.equal([budget]);
    expect(await q('合')).to.deep.equal([contract]);
    expect(await q('budget 合同')).to.deep.equal([]);
    const f = await folderIds(app, box);
    expect(
      (await as(app, box).get(`/mail/search?q=budget&folderId=${f.trash}`).expect(200)).body.messages,
    ).to.deep.equal([]);
    const bad = await as(app, box).get('/mail/search?q=%20!!!%20').expect(400);
    expect(bad.body.error.code).to.equal('validation_failed');
  });

  it('pages search results without duplicates or gaps, through both the date walk and the index step', async () => {
    const box = org.people[5]!;
    const base = Date.now() - 7_200_000;
    for (let i = 0; i < 30; i++) {
      const subject = i % 3 === 0 ? `季度预算 budget ${i}` : `其他 other ${i}`;
      await deliver(app, org.tenantId, [box], mail({ subject }), new Date(base + i * 1000));
    }
    const truth: string[] = (
      await app.ds.query(
        `SELECT id FROM messages WHERE tenant_id = $1 AND mailbox_id = $2 AND search_tokens @> $3
          ORDER BY received_at DESC, id DESC`,
        [org.tenantId, box.mailboxId, ['预算', 'budget']],
      )
    ).map((r: { id: string }) => r.id);
    expect(truth).to.have.length(10);
    const actor = {
      tenantId: org.tenantId,
      memberId: box.memberId,
      roles: ['employee'] as const,
      scope: 'full' as const,
    };
    // walk windows: all-in-the-walk, the index step from the first page, and in between
    for (const window of [10_000, 1, 2, 3, 4, 5, 7]) {
      const service = new MessageSearchService(app.ds, window);
      const got: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await service.search(actor, { q: '预算 budget', limit: 3, cursor });
        got.push(...page.messages.map((m) => m.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(got, `window ${window}`).to.deep.equal(truth);
    }
    // and over HTTP
    const first = (await as(app, box).get('/mail/search?q=budget&limit=4').expect(200)).body;
    expect(first.messages.map((m: { id: string }) => m.id)).to.deep.equal(truth.slice(0, 4));
    const second = (
      await as(app, box).get(`/mail/search?q=budget&limit=4&cursor=${first.nextCursor}`).expect(200)
    ).body;
    expect(second.messages.map((m: { id: string }) => m.id)).to.deep.equal(truth.slice(4, 8));
  });

  it('shows a thread', async () => {
    const box = org.people[5]!;
    const a = Buffer.from(
      'From: a@example.com\r\nTo: b@example.com\r\nSubject: 报价\r\nMessage-ID: <th1@example.com>\r\n\r\n请报价\r\n',
    );
    const b = Buffer.from(
      'From: b@example.com\r\nTo: a@example.com\r\nSubject: Re: 报价\r\nMessage-ID: <th2@example.com>\r\nIn-Reply-To: <th1@example.com>\r\n\r\n好\r\n',
    );
    const [first] = await deliver(app, org.tenantId, [box], a, new Date(Date.now() - 60_000));
    const [second] = await deliver(app, org.tenantId, [box], b, new Date());
    const msg = (await as(app, box).get(`/mail/messages/${first}`).expect(200)).body;
    const thread = (await as(app, box).get(`/mail/threads/${msg.threadId}`).expect(200)).body;
    expect(thread.messages.map((m: { id: string }) => m.id)).to.deep.equal([first, second]);
  });
});
