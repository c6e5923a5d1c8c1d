import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import yauzl from 'yauzl';
import type { DeliveryTarget } from '../../server/modules/mailboxes';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createLocalUser, createTenant, tokenFor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

const fixture = (name: string) => readFileSync(path.resolve('test/fixtures/mail', name));
const DAY = 86_400_000;

interface Person {
  id: string;
  external_id: string;
  email: string;
  mailbox_id: string;
}

/** Every entry of a zip: name → bytes. */
function unzip(buf: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true, decodeStrings: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const out = new Map<string, Buffer>();
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            out.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(out));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

describe('retention: a departed mailbox is exported, then purged', function () {
  this.timeout(90_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let tenantId: string;
  let people: Person[];

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'retainco')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 12,
      depth: 2,
      seed: 21,
    });
    emulator.setCallback(undefined);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    people = await app.ds.query(
      `SELECT m.id, m.external_id, m.email, b.id AS mailbox_id FROM members m
         JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 AND m.external_id IS NOT NULL ORDER BY m.email LIMIT 4`,
      [tenantId],
    );
  });
  after(async () => {
    await emulator.close();
    await app.close();
  });

  async function targets(...who: Person[]): Promise<DeliveryTarget[]> {
    const out: DeliveryTarget[] = [];
    for (const p of who) {
      const r = await app.services.recipients.resolve(p.email);
      if (r.kind !== 'mailbox') throw new Error(`${p.email} is ${r.kind}`);
      out.push(r.target);
    }
    return out;
  }

  async function leave(p: Person): Promise<void> {
    emulator.org.leave(p.external_id);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    const [box] = await app.ds.query(`SELECT status FROM mailboxes WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      p.mailbox_id,
    ]);
    expect(box.status).to.equal('suspended');
  }

  it('keeps the mailbox during retention, then exports every message (by folder) and purges it', async () => {
    const [alice, bob] = people as [Person, Person];
    const shared = fixture('rfc2047-subject-gbk.eml');
    const own = fixture('rfc2231-filename.eml');
    await app.services.delivery.deliver({ tenantId, raw: shared, targets: await targets(alice, bob) });
    const second = await app.services.delivery.deliver({ tenantId, raw: own, targets: await targets(alice) });
    // A nested custom folder holding one message: the archive keeps the folder path.
    const [inbox] = await app.ds.query(
      `SELECT id FROM folders WHERE tenant_id = $1 AND mailbox_id = $2 AND role = 'inbox'`,
      [tenantId, alice.mailbox_id],
    );
    const [project] = await app.ds.query(
      `INSERT INTO folders (tenant_id, mailbox_id, parent_id, name) VALUES ($1, $2, $3, '项目/合同') RETURNING id`,
      [tenantId, alice.mailbox_id, inbox.id],
    );
    await app.ds.query(
      `UPDATE messages SET folder_id = $3, is_flagged = true WHERE tenant_id = $1 AND id = $2`,
      [tenantId, second.messageIds[0], project.id],
    );

    await leave(alice);
    expect((await app.services.mailboxPurge.purgeDue()).purged, 'not due yet').to.equal(0);

    app.clock.advance(31 * DAY);
    const outcome = await app.services.mailboxPurge.purgeDue();
    expect(outcome).to.deep.equal({ purged: 1, failed: 0, remaining: 0 });

    const [archive] = await app.services.mailboxExports.list(tenantId, {
      limit: 5,
      mailboxId: alice.mailbox_id,
    });
    expect(archive).to.include({ status: 'ready', reason: 'purge', messages: 2, address: alice.email });
    const { body } = await app.services.mailboxExports.open(tenantId, archive!.id);
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    const entries = await unzip(Buffer.concat(chunks));
    const names = [...entries.keys()];
    expect(names).to.include('manifest.json');
    const emls = names.filter((n) => n.endsWith('.eml'));
    expect(emls).to.have.length(2);
    expect(emls.filter((n) => /^Inbox\/[^/]+$/.test(n))).to.have.length(1);
    // '/' inside a folder name cannot become a directory separator.
    expect(emls.filter((n) => n.startsWith('Inbox/项目 合同/'))).to.have.length(1);
    const bytes = emls.map((n) => entries.get(n)!);
    expect(bytes.some((b) => b.equals(shared))).to.equal(true);
    expect(bytes.some((b) => b.equals(own))).to.equal(true);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
    expect(manifest.messages.filter((m: { flagged: boolean }) => m.flagged)).to.have.length(1);

    // Gone: mail, folders, addresses; the member is purged; Bob still has the shared message.
    const [{ n: messages }] = await app.ds.query(
      `SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1 AND mailbox_id = $2`,
      [tenantId, alice.mailbox_id],
    );
    expect(messages).to.equal(0);
    const [{ n: folders }] = await app.ds.query(
      `SELECT count(*)::int AS n FROM folders WHERE tenant_id = $1 AND mailbox_id = $2`,
      [tenantId, alice.mailbox_id],
    );
    expect(folders).to.equal(0);
    const [box] = await app.ds.query(
      `SELECT status, used_bytes FROM mailboxes WHERE tenant_id = $1 AND id = $2`,
      [tenantId, alice.mailbox_id],
    );
    expect(box).to.deep.equal({ status: 'purged', used_bytes: '0' });
    const [member] = await app.ds.query(`SELECT status FROM members WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      alice.id,
    ]);
    expect(member.status).to.equal('purged');
    expect((await app.services.recipients.resolve(alice.email)).kind).to.equal('unknown_address');
    const blobs: { sha256: string }[] = await app.ds.query(
      `SELECT sha256 FROM mail_blobs WHERE tenant_id = $1`,
      [tenantId],
    );
    expect(blobs, 'the shared message stays for Bob, the other one is gone').to.have.length(1);
    const [{ n: bobs }] = await app.ds.query(
      `SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1 AND mailbox_id = $2`,
      [tenantId, bob.mailbox_id],
    );
    expect(bobs).to.equal(1);
    const [audit] = await app.ds.query(
      `SELECT details FROM audit_log WHERE tenant_id = $1 AND action = 'mailbox.purged' AND target_id = $2`,
      [tenantId, alice.mailbox_id],
    );
    expect(audit.details).to.include({ exportId: archive!.id, messages: 2 });
  });

  it('a member who rejoined within retention is not purged', async () => {
    const carol = people[2]!;
    await leave(carol);
    emulator.org.rejoin(carol.external_id);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    app.clock.advance(40 * DAY);
    expect((await app.services.mailboxPurge.purgeDue()).purged).to.equal(0);
    const [box] = await app.ds.query(`SELECT status FROM mailboxes WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      carol.mailbox_id,
    ]);
    expect(box.status).to.equal('active');
  });

  it('admins export a mailbox on demand and download it; employees and other organizations cannot', async () => {
    const dave = people[3]!;
    await app.services.delivery.deliver({
      tenantId,
      raw: fixture('rfc2047-subject-gbk.eml'),
      targets: await targets(dave),
    });
    const admin = await createLocalUser(app, tenantId, { roles: ['admin'] });
    const adminToken = tokenFor(app, tenantId, admin.member.id, ['admin']);
    const started = await fetch(`${app.url}/api/v1/admin/members/${dave.id}/export`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(started.status).to.equal(202);
    const row = (await started.json()) as { id: string; status: string };
    let status = row.status;
    for (let i = 0; i < 50 && status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const list = await fetch(`${app.url}/api/v1/admin/exports?mailboxId=${dave.mailbox_id}`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      status = ((await list.json()) as { exports: { id: string; status: string }[] }).exports.find(
        (e) => e.id === row.id,
      )!.status;
    }
    expect(status).to.equal('ready');

    const download = await fetch(`${app.url}/api/v1/admin/exports/${row.id}/download`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(download.status).to.equal(200);
    expect(download.headers.get('content-type')).to.equal('application/zip');
    expect(download.headers.get('content-disposition')).to.match(
      /^attachment; filename=".+"; filename\*=UTF-8''.+\.zip$/,
    );
    const entries = await unzip(Buffer.from(await download.arrayBuffer()));
    expect([...entries.keys()].filter((n) => n.endsWith('.eml'))).to.have.length(1);

    const employee = tokenFor(app, tenantId, dave.id, ['employee']);
    const refused = await fetch(`${app.url}/api/v1/admin/exports/${row.id}/download`, {
      headers: { authorization: `Bearer ${employee}` },
    });
    expect(refused.status).to.equal(403);

    const other = await createTenant(app, 'otherretain');
    const stranger = await createLocalUser(app, other.id, { roles: ['admin'] });
    const otherAdmin = tokenFor(app, other.id, stranger.member.id, ['admin']);
    const hidden = await fetch(`${app.url}/api/v1/admin/exports/${row.id}/download`, {
      headers: { authorization: `Bearer ${otherAdmin}` },
    });
    expect(hidden.status).to.equal(404);
    const badId = await fetch(`${app.url}/api/v1/admin/exports/not-a-uuid/download`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(badId.status).to.equal(400);
    expect(((await badId.json()) as { error: { code: string } }).error.code).to.be.a('string');
  });
});
