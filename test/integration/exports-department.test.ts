import { expect } from 'chai';
import { simpleParser } from 'mailparser';
import yauzl from 'yauzl';
import type { DeliveryTarget } from '../../server/modules/mailboxes';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createLocalUser, createTenant, tokenFor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

interface Person {
  id: string;
  email: string;
}

interface ExportDto {
  id: string;
  mailboxId: string | null;
  scope: string;
  format: string;
  status: string;
  messages: number;
  progressDone: number;
  progressTotal: number;
  departmentExternalId: string | null;
  address: string;
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

/** Splits an mboxrd file into messages, undoing the `>From` quoting. */
function splitMboxrd(mbox: Buffer): { fromLine: string; raw: Buffer }[] {
  const text = mbox.toString('latin1');
  expect(text.startsWith('From '), 'an mbox starts with a From line').to.equal(true);
  return text
    .split(/^(?=From )/m)
    .filter((part) => part.length > 0)
    .map((part) => {
      const nl = part.indexOf('\n');
      const body = part
        .slice(nl + 1)
        .replace(/\n\n?$/, '\n')
        .replace(/^>(>*From )/gm, '$1');
      return { fromLine: part.slice(0, nl), raw: Buffer.from(body, 'latin1') };
    });
}

function message(from: string, to: string, messageId: string, body: string): Buffer {
  return Buffer.from(
    [
      `From: ${from}`,
      `To: ${to}`,
      `Subject: =?UTF-8?B?${Buffer.from('季度报告 ' + messageId).toString('base64')}?=`,
      `Message-ID: <${messageId}>`,
      'Date: Mon, 23 Nov 2026 09:00:00 +0800',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      body,
      '',
    ].join('\r\n'),
  );
}

describe('exports: department archives, mbox format, progress', function () {
  this.timeout(120_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let tenantId: string;
  let deptId: string;
  let inside: Person[];
  let outside: Person;
  let adminToken: string;
  /** address → Message-IDs delivered to that mailbox. */
  const expected = new Map<string, string[]>();

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'exportco')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 24,
      depth: 3,
      seed: 7,
    });
    emulator.setCallback(undefined);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    // The non-root department whose subtree holds the most (but not all) active members with mailboxes.
    const depts: { external_id: string; n: number }[] = await app.ds.query(
      `SELECT d.external_id, count(DISTINCT m.id)::int AS n FROM departments d
         JOIN departments s ON s.tenant_id = d.tenant_id AND d.external_id = ANY (s.path)
         JOIN members m ON m.tenant_id = d.tenant_id AND s.external_id = ANY (m.department_ids) AND m.status = 'active'
         JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id AND b.status = 'active'
        WHERE d.tenant_id = $1 AND d.parent_external_id IS NOT NULL
        GROUP BY d.external_id ORDER BY n DESC, d.external_id`,
      [tenantId],
    );
    const [{ n: all }] = await app.ds.query(
      `SELECT count(*)::int AS n FROM members m JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 AND m.external_id IS NOT NULL AND m.status = 'active'`,
      [tenantId],
    );
    const pick = depts.find((d) => d.n >= 2 && d.n < all);
    expect(pick, 'the sandbox has a department with some members').to.not.equal(undefined);
    deptId = pick!.external_id;
    inside = await app.ds.query(
      `SELECT m.id, m.email FROM members m
        WHERE m.tenant_id = $1 AND m.status = 'active' AND m.department_ids && ARRAY(
              SELECT x.external_id FROM departments x WHERE x.tenant_id = $1 AND $2 = ANY (x.path))
        ORDER BY m.email`,
      [tenantId, deptId],
    );
    [outside] = await app.ds.query(
      `SELECT m.id, m.email FROM members m
        WHERE m.tenant_id = $1 AND m.external_id IS NOT NULL AND NOT (m.id = ANY ($2::uuid[]))
        ORDER BY m.email LIMIT 1`,
      [tenantId, inside.map((p) => p.id)],
    );
    const admin = await createLocalUser(app, tenantId, { roles: ['admin'] });
    adminToken = tokenFor(app, tenantId, admin.member.id, ['admin']);

    const targets = async (...who: Person[]): Promise<DeliveryTarget[]> => {
      const out: DeliveryTarget[] = [];
      for (const p of who) {
        const r = await app.services.recipients.resolve(p.email);
        if (r.kind !== 'mailbox') throw new Error(`${p.email} is ${r.kind}`);
        out.push(r.target);
      }
      return out;
    };
    const send = async (id: string, body: string, ...who: Person[]) => {
      await app.services.delivery.deliver({
        tenantId,
        raw: message('外部客户 <client@example.com>', who.map((p) => p.email).join(', '), id, body),
        targets: await targets(...who),
      });
      for (const p of who) expected.set(p.email, [...(expected.get(p.email) ?? []), id]);
    };
    // One message shared by two members of the department (each keeps their copy), one quoting
    // trap per member, enough mail in the first mailbox to pass the progress step, one outsider.
    await send('shared@exportco.test', '大家好，\r\n合同见附件。', inside[0]!, inside[1]!);
    for (const [i, p] of inside.entries()) {
      await send(
        `own-${i}@exportco.test`,
        'Hello,\r\nFrom the desk of 王经理: a line starting "From ".\r\n>From already quoted\r\nBye',
        p,
      );
    }
    for (let i = 0; i < 30; i++) await send(`bulk-${i}@exportco.test`, `批量 ${i}`, inside[0]!);
    await send('outsider@exportco.test', 'not in the department', outside);
  });
  after(async () => {
    await emulator.close();
    await app.close();
  });

  const auth = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

  async function create(token: string, body: unknown): Promise<Response> {
    return fetch(`${app.url}/api/v1/admin/exports`, {
      method: 'POST',
      headers: auth(token),
      body: JSON.stringify(body),
    });
  }

  /** Polls the list until the export is no longer running. */
  async function finished(id: string): Promise<ExportDto> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const list = await fetch(`${app.url}/api/v1/admin/exports?limit=200`, { headers: auth(adminToken) });
      expect(list.status).to.equal(200);
      const row = ((await list.json()) as { exports: ExportDto[] }).exports.find((e) => e.id === id)!;
      if (row.status !== 'running') return row;
      if (Date.now() > deadline) throw new Error('export still running');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function download(id: string): Promise<Map<string, Buffer>> {
    const res = await fetch(`${app.url}/api/v1/admin/exports/${id}/download`, { headers: auth(adminToken) });
    expect(res.status).to.equal(200);
    return unzip(Buffer.from(await res.arrayBuffer()));
  }

  it('a department export holds each member’s mail once, under their address, with progress at total', async () => {
    const res = await create(adminToken, { scope: 'department', departmentExternalId: deptId });
    expect(res.status).to.equal(202);
    const started = (await res.json()) as ExportDto;
    expect(started).to.include({
      scope: 'department',
      mailboxId: null,
      departmentExternalId: deptId,
      format: 'eml-zip',
    });
    const row = await finished(started.id);
    const total = [...expected.entries()]
      .filter(([address]) => inside.some((p) => p.email === address))
      .reduce((n, [, ids]) => n + ids.length, 0);
    expect(row).to.include({ status: 'ready', messages: total, progressDone: total, progressTotal: total });

    const entries = await download(row.id);
    const emls = [...entries.keys()].filter((n) => n.endsWith('.eml'));
    expect(emls).to.have.length(total);
    for (const p of inside) {
      const mine = emls.filter((n) => n.startsWith(`${p.email}/Inbox/`));
      const ids = await Promise.all(mine.map(async (n) => (await simpleParser(entries.get(n)!)).messageId));
      expect(ids.sort(), p.email).to.deep.equal(
        expected
          .get(p.email)!
          .map((id) => `<${id}>`)
          .sort(),
      );
    }
    expect(emls.filter((n) => n.startsWith(`${outside.email}/`))).to.have.length(0);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
    expect(manifest.department.externalId).to.equal(deptId);
    expect(manifest.mailboxes.map((m: { address: string }) => m.address).sort()).to.deep.equal(
      inside.map((p) => p.email).sort(),
    );

    const [audit] = await app.ds.query(
      `SELECT target_type, target_id, details FROM audit_log WHERE tenant_id = $1 AND action = 'department.export_requested'`,
      [tenantId],
    );
    expect(audit).to.deep.include({ target_type: 'department', target_id: deptId });
    expect(audit.details).to.include({ exportId: row.id, format: 'eml-zip' });
  });

  it('mbox: one mboxrd file per folder that parses back to the same Message-IDs, with From lines quoted', async () => {
    const res = await create(adminToken, {
      scope: 'department',
      departmentExternalId: deptId,
      format: 'mbox',
    });
    expect(res.status).to.equal(202);
    const row = await finished(((await res.json()) as ExportDto).id);
    expect(row).to.include({ status: 'ready', format: 'mbox' });
    expect(row.progressDone).to.equal(row.progressTotal);
    const entries = await download(row.id);
    expect([...entries.keys()].filter((n) => n.endsWith('.eml'))).to.have.length(0);
    for (const p of inside) {
      const mbox = entries.get(`${p.email}/Inbox.mbox`);
      expect(mbox, `${p.email}/Inbox.mbox`).to.not.equal(undefined);
      const text = mbox!.toString('utf8');
      expect(text).to.match(/^From client@example\.com \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n/);
      expect(text).to.include('\n>From the desk of 王经理');
      expect(text).to.include('\n>>From already quoted');
      expect(text).to.not.match(/^From the desk/m);
      const records = splitMboxrd(mbox!);
      const ids = await Promise.all(records.map(async (r) => (await simpleParser(r.raw)).messageId));
      expect(ids.sort()).to.deep.equal(
        expected
          .get(p.email)!
          .map((id) => `<${id}>`)
          .sort(),
      );
      const own = await simpleParser(records.find((r) => r.raw.includes('From the desk'))!.raw);
      expect(own.text).to.include('From the desk of 王经理');
      expect(own.text).to.include('>From already quoted');
      expect(own.subject).to.match(/^季度报告 own-/);
    }
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
    expect(manifest.format).to.equal('mbox');
  });

  it('a single mailbox exports as mbox files at the archive root', async () => {
    const who = inside[1]!;
    const res = await create(adminToken, { scope: 'mailbox', memberId: who.id, format: 'mbox' });
    expect(res.status).to.equal(202);
    const row = await finished(((await res.json()) as ExportDto).id);
    expect(row).to.include({ status: 'ready', scope: 'mailbox', address: who.email });
    expect(row.mailboxId).to.be.a('string');
    const entries = await download(row.id);
    expect([...entries.keys()].sort()).to.deep.equal(['Inbox.mbox', 'manifest.json']);
    expect(splitMboxrd(entries.get('Inbox.mbox')!)).to.have.length(expected.get(who.email)!.length);
  });

  it('only admins start exports; other organizations get 404; bad input is 400', async () => {
    const employee = tokenFor(app, tenantId, inside[0]!.id, ['employee']);
    expect((await create(employee, { scope: 'department', departmentExternalId: deptId })).status).to.equal(
      403,
    );
    const auditorUser = await createLocalUser(app, tenantId, { roles: ['auditor'] });
    const auditor = tokenFor(app, tenantId, auditorUser.member.id, ['auditor']);
    expect((await create(auditor, { scope: 'department', departmentExternalId: deptId })).status).to.equal(
      403,
    );
    const listed = await fetch(`${app.url}/api/v1/admin/exports`, { headers: auth(auditor) });
    expect(listed.status, 'auditors may see the list').to.equal(200);

    const other = await createTenant(app, 'otherexport');
    const stranger = await createLocalUser(app, other.id, { roles: ['admin'] });
    const otherAdmin = tokenFor(app, other.id, stranger.member.id, ['admin']);
    const foreignDept = await create(otherAdmin, { scope: 'department', departmentExternalId: deptId });
    expect(foreignDept.status).to.equal(404);
    const foreignMember = await create(otherAdmin, { scope: 'mailbox', memberId: inside[0]!.id });
    expect(foreignMember.status).to.equal(404);
    const theirList = await fetch(`${app.url}/api/v1/admin/exports`, { headers: auth(otherAdmin) });
    expect(((await theirList.json()) as { exports: unknown[] }).exports).to.have.length(0);

    const [{ n: before }] = await app.ds.query(`SELECT count(*)::int AS n FROM mailbox_exports`);
    for (const bad of [
      {},
      { scope: 'department' },
      { scope: 'department', departmentExternalId: '' },
      { scope: 'department', departmentExternalId: deptId, format: 'pst' },
      { scope: 'mailbox', memberId: 'not-a-uuid' },
      { scope: 'everything' },
    ]) {
      const res = await create(adminToken, bad);
      expect(res.status, JSON.stringify(bad)).to.equal(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).to.be.a('string');
    }
    const unknown = await create(adminToken, { scope: 'department', departmentExternalId: 'no-such-dept' });
    expect(unknown.status).to.equal(404);
    const [{ n: after }] = await app.ds.query(`SELECT count(*)::int AS n FROM mailbox_exports`);
    expect(after, 'refused requests leave no export behind').to.equal(before);
  });
});
