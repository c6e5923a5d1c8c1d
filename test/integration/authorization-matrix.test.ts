import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Role } from '../../shared/auth';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createLocalUser, createTenant, tokenFor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

type Auth = 'public' | { roles?: Role[]; allowEnrollScope?: boolean };
interface Operation {
  method: string;
  path: string; // OpenAPI form: /api/v1/mail/messages/{id}
  auth: Auth;
}
interface ActorCase {
  name: string;
  tenant: 'A' | 'B' | null;
  roles: Role[];
  token: string | null;
}

const BASE = '/api/v1';
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers of many shapes, read field by field
type Json = any;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * @security Every route the ApiRegistry declares (read from the live OpenAPI document, whose
 * `x-auth` is the route's declared auth) × six actors: anonymous → 401; a role the route does not
 * declare → 403; another organization's actors never reach this organization's objects (path ids
 * of tenant A → 404, or 400 when the body is refused first; never 2xx) and never see its ids in a
 * list. Path parameters are filled with real ids of tenant A objects: a route whose parameter the
 * fixture cannot fill fails the suite, so new routes must be added here.
 */
describe('@security authorization matrix: every API route × role × tenant', function () {
  this.timeout(180_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let operations: Operation[];
  let actors: ActorCase[];
  const ids = new Map<string, string>(); // OpenAPI path prefix up to a parameter → a real id of tenant A
  const tenantAIds = new Set<string>(); // every id of tenant A that must not show up for tenant B

  async function call(method: string, path: string, token: string | null, body?: unknown) {
    const res = await fetch(app.url + path, {
      method: method.toUpperCase(),
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json: Json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON (a download): only the status and text are checked
    }
    return { status: res.status, text, json };
  }

  async function ok<T = Json>(method: string, path: string, token: string, body?: unknown): Promise<T> {
    const res = await call(method, BASE + path, token, body);
    if (res.status >= 300) throw new Error(`fixture ${method} ${path} → ${res.status} ${res.text}`);
    return res.json as T;
  }

  function remember(prefix: string, id: string) {
    ids.set(prefix, id);
    tenantAIds.add(id);
  }

  before(async () => {
    app = await startTestApp();
    const tenantA = (await createTenant(app, 'matrixa')).id;
    const tenantB = (await createTenant(app, 'matrixb')).id;
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId: tenantA,
      callbackBaseUrl: app.url,
      employees: 4,
      depth: 1,
      seed: 21,
    });
    emulator.setCallback(undefined);
    await app.services.sync.fullSync(tenantA, { trigger: 'manual' });
    const people: { id: string; email: string; mailbox_id: string }[] = await app.ds.query(
      `SELECT m.id, m.email, b.id AS mailbox_id FROM members m JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 ORDER BY m.email`,
      [tenantA],
    );
    const [owner, other] = people as [(typeof people)[0], (typeof people)[0]];
    const adminA = await createLocalUser(app, tenantA, { roles: ['admin'] });
    const auditorA = await createLocalUser(app, tenantA, { roles: ['auditor'] });
    const adminB = await createLocalUser(app, tenantB, { roles: ['admin'] });
    const employeeB = await createLocalUser(app, tenantB, { roles: ['employee'] });
    const emp = tokenFor(app, tenantA, owner.id, ['employee']);
    const adm = tokenFor(app, tenantA, adminA.member.id, ['admin']);
    actors = [
      { name: 'anonymous', tenant: null, roles: [], token: null },
      {
        name: 'B employee',
        tenant: 'B',
        roles: ['employee'],
        token: tokenFor(app, tenantB, employeeB.member.id, ['employee']),
      },
      {
        name: 'B admin',
        tenant: 'B',
        roles: ['admin'],
        token: tokenFor(app, tenantB, adminB.member.id, ['admin']),
      },
      {
        name: 'A auditor',
        tenant: 'A',
        roles: ['auditor'],
        token: tokenFor(app, tenantA, auditorA.member.id, ['auditor']),
      },
      { name: 'A employee', tenant: 'A', roles: ['employee'], token: emp },
      { name: 'A admin', tenant: 'A', roles: ['admin'], token: adm },
    ];

    // Objects of tenant A, each made the way the product makes it.
    tenantAIds.add(tenantA);
    remember('/dingtalk/callback/{tenantId}', tenantA);
    // Admin routes act on the second person, so suspending sign-in never hits the employee actor.
    remember('/admin/members/{id}', other.id);
    remember('/members/{id}', other.id);
    tenantAIds.add(owner.id);
    tenantAIds.add(owner.mailbox_id);
    tenantAIds.add(other.mailbox_id);
    const delivered = await app.services.delivery.deliver({
      tenantId: tenantA,
      raw: Buffer.from(
        [
          'From: partner@elsewhere.example',
          `To: ${owner.email}`,
          'Subject: =?UTF-8?B?' + Buffer.from('矩阵测试').toString('base64') + '?=',
          'MIME-Version: 1.0',
          'Content-Type: multipart/mixed; boundary="b1"',
          '',
          '--b1',
          'Content-Type: text/plain; charset=utf-8',
          '',
          'hello',
          '--b1',
          'Content-Type: application/octet-stream; name="a.bin"',
          'Content-Disposition: attachment; filename="a.bin"',
          'Content-Transfer-Encoding: base64',
          '',
          Buffer.from('attachment bytes').toString('base64'),
          '--b1--',
          '',
        ].join('\r\n'),
      ),
      targets: [
        { mailboxId: owner.mailbox_id, memberId: owner.id, status: 'active', quotaBytes: 1e12, usedBytes: 0 },
      ],
      source: 'local',
    });
    const messageId = delivered.mail.copies[0]!.messageId;
    remember('/mail/messages/{id}', messageId);
    const message = await ok('get', `/mail/messages/${messageId}`, emp);
    remember('/mail/threads/{threadId}', message.threadId);
    ids.set('/mail/messages/{id}/attachments/{attachmentId}', message.attachments[0].id);
    remember('/mail/folders/{id}', (await ok('post', '/mail/folders', emp, { name: '矩阵文件夹' })).id);
    ids.set('/mail/folders/{role}', 'trash');
    const rule = await ok('post', '/rules', emp, {
      name: 'matrix',
      definition: {
        conditions: [{ field: 'subject', operator: 'contains', value: 'x' }],
        actions: [{ type: 'mark_read' }],
      },
    });
    remember('/rules/{id}', rule.id);
    const draft = await ok('post', '/mail/drafts', emp, { to: [{ address: other.email }], subject: '草稿' });
    remember('/mail/drafts/{id}', draft.id);
    const scheduled = await ok('post', '/mail/send', emp, {
      to: [{ address: other.email }],
      subject: '定时',
      sendAt: new Date(app.clock.now().getTime() + 3600_000).toISOString(),
    });
    remember('/mail/scheduled/{id}', scheduled.scheduledId);
    const appPassword = await ok('post', '/me/app-passwords', emp, { name: 'matrix' });
    remember('/me/app-passwords/{id}', appPassword.appPassword.id);
    const grant = await ok('post', '/admin/mailbox-grants', adm, {
      mailboxId: owner.mailbox_id,
      memberId: other.id,
      access: 'read',
    });
    remember('/admin/mailbox-grants/{id}', grant.id);
    const domain = await ok('post', '/admin/domains', adm, { name: 'matrix-extra.example' });
    remember('/admin/domains/{id}', domain.id);
    remember('/admin/domains/{domainId}', domain.id);
    const alias = await ok('post', `/admin/members/${other.id}/aliases`, adm, { localPart: 'matrix.alias' });
    const aliasRow = alias.aliases.find((a: { address: string }) => a.address.startsWith('matrix.alias@'));
    remember('/admin/members/{id}/aliases/{aliasId}', aliasRow.id);
    const exported = await ok('post', `/admin/members/${other.id}/export`, adm, {});
    remember('/admin/exports/{id}', exported.id);
    const orgRule = await ok('post', '/admin/rules', adm, {
      name: '全员',
      departmentIds: ['1'],
      definition: {
        conditions: [{ field: 'subject', operator: 'contains', value: 'y' }],
        actions: [{ type: 'mark_read' }],
      },
    });
    remember('/admin/rules/{id}', orgRule.id);
    const [group] = await app.ds.query(`SELECT id FROM mail_groups WHERE tenant_id = $1 LIMIT 1`, [tenantA]);
    remember('/admin/groups/{id}', group.id);
    const groupAlias = await call('post', `${BASE}/admin/groups/${group.id}/aliases`, adm, {
      localPart: 'matrix.group.alias',
    });
    if (groupAlias.status < 300) remember('/admin/groups/{id}/aliases/{aliasId}', groupAlias.json.id);
    const [run] = await app.ds.query(`SELECT id FROM job_runs WHERE tenant_id = $1 LIMIT 1`, [tenantA]);
    remember('/admin/directory/sync/runs/{id}', run.id);
    remember('/jobs/{runId}', run.id);
    ids.set('/admin/jobs/{name}', 'stats.rollup');
    const [event] = await app.ds.query(
      `INSERT INTO directory_events (tenant_id, event_key, event_type, payload, status)
       VALUES ($1, 'matrix-1', 'user_add_org', '{}', 'failed') RETURNING id`,
      [tenantA],
    );
    remember('/admin/directory/events/{id}', String(event.id));
    await ok('post', '/mail/send', emp, { to: [{ address: 'partner@elsewhere.example' }], subject: 'out' });
    app.clock.advance(60_000); // past the undo window, well before the scheduled send
    await app.services.sendDispatcher.tick();
    const [queued] = await app.ds.query(`SELECT id FROM outbound_queue WHERE tenant_id = $1 LIMIT 1`, [
      tenantA,
    ]);
    if (queued) remember('/admin/outbound/{id}', queued.id);
    await app.services.outboundWorker.runOnce();
    const [captured] = await app.ds.query(`SELECT id FROM captured_mail WHERE tenant_id = $1 LIMIT 1`, [
      tenantA,
    ]);
    if (captured) remember('/admin/outbound/captured/{id}', captured.id);

    // Spam in Junk: the console's quarantine.
    const junk = await app.services.delivery.deliver({
      tenantId: tenantA,
      raw: Buffer.from(
        `From: spam@elsewhere.example\r\nTo: ${owner.email}\r\nSubject: WIN!!!\r\n\r\nbuy\r\n`,
      ),
      targets: [
        { mailboxId: owner.mailbox_id, memberId: owner.id, status: 'active', quotaBytes: 1e12, usedBytes: 0 },
      ],
      source: 'smtp',
      verdict: { spam: true, score: 99, reasons: ['score'] },
    });
    expect(junk.mail.copies[0]!.folderRole).to.equal('junk');
    remember('/admin/quarantine/{id}', junk.mail.copies[0]!.messageId);

    // Mail held for approval (the console's 邮件审核), on the message delivered above.
    const [approval] = await app.ds.query(
      `INSERT INTO mail_approvals (tenant_id, mailbox_id, sender_member_id, envelope_from, recipients, blob_sha256,
                                   message_id, subject, size, expires_at)
       SELECT m.tenant_id, m.mailbox_id, $3, $4, ARRAY['partner@elsewhere.example'], m.blob_sha256, '<held@matrix>',
              'held', 100, $5
         FROM messages m WHERE m.tenant_id = $1 AND m.id = $2 RETURNING id`,
      [tenantA, messageId, owner.id, owner.email, new Date(app.clock.now().getTime() + 86_400_000)],
    );
    remember('/admin/mail-approvals/{id}', approval.id);
    remember('/mail-approvals/{id}', approval.id);

    const doc = (await call('get', `${BASE}/openapi.json`, null)).json as {
      paths: Record<string, Record<string, { 'x-auth': Auth }>>;
    };
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ method, path, auth: op['x-auth'] })),
    );
  });
  after(async () => {
    await emulator?.close();
    await app?.close();
  });

  /** The concrete URL for an OpenAPI path, or the parameters the fixture has no id for. */
  function fill(path: string): { url: string; missing: string[] } {
    const missing: string[] = [];
    const rel = path.slice(BASE.length);
    const url = rel.replace(/\{([A-Za-z0-9_]+)\}/g, (m, _name, offset: number) => {
      const key = rel.slice(0, offset + m.length);
      const value = ids.get(key);
      if (value === undefined) missing.push(key);
      return encodeURIComponent(value ?? 'x');
    });
    return { url: BASE + url, missing };
  }

  it('reads every declared route with its auth from the registry', () => {
    expect(operations.length).to.be.greaterThan(100);
    const undeclared = operations.filter((o) => o.auth === undefined).map((o) => `${o.method} ${o.path}`);
    expect(undeclared, 'routes without x-auth').to.deep.equal([]);
  });

  it('fills every path parameter with a real id of tenant A (add new routes to the fixture)', () => {
    const missing = operations.flatMap((o) =>
      fill(o.path).missing.map((k) => `${o.method.toUpperCase()} ${k}`),
    );
    expect([...new Set(missing)], 'path parameters with no fixture id').to.deep.equal([]);
  });

  it('anonymous → 401, undeclared role → 403, other tenant → never 2xx nor its ids, declared role → no 401/5xx', async () => {
    const failures: string[] = [];
    const rows: string[] = [];
    // Deletes go after everything else, and "sign out everywhere" last of all: it ends the caller's tokens.
    const order = (o: { method: string; path: string }) =>
      o.path.endsWith('/auth/sign-out') ? 2 : o.method === 'delete' ? 1 : 0;
    const sorted = [...operations].sort((a, b) => order(a) - order(b));
    for (const op of sorted) {
      const { url, missing } = fill(op.path);
      if (missing.length) continue; // reported by the test above
      // Job names and folder roles are the same words in every organization: not tenant A's objects.
      const hasIds = /\{(?!name\}|role\})/.test(op.path);
      const withBody = ['post', 'put', 'patch'].includes(op.method);
      const cells: string[] = [];
      for (const actor of actors) {
        const res = await call(op.method, url, actor.token, withBody ? {} : undefined);
        cells.push(String(res.status));
        const where = `${op.method.toUpperCase()} ${op.path} as ${actor.name} → ${res.status}`;
        if (res.status >= 500) {
          failures.push(`${where} (server error: ${res.text.slice(0, 120)})`);
          continue;
        }
        if (op.auth === 'public') continue;
        const declared = !op.auth.roles || op.auth.roles.some((r) => actor.roles.includes(r));
        if (!actor.token) {
          if (res.status !== 401) failures.push(`${where} (expected 401)`);
        } else if (!declared) {
          if (res.status !== 403) failures.push(`${where} (role not declared: expected 403)`);
        } else if (actor.tenant === 'B') {
          if (res.status < 300) {
            if (hasIds) failures.push(`${where} (another tenant's ids answered 2xx)`);
            const leaked = [...tenantAIds].filter((id) => UUID.test(id) && res.text.includes(id));
            if (leaked.length) failures.push(`${where} (tenant A ids in the answer: ${leaked.join(', ')})`);
          } else if (hasIds && ![400, 404].includes(res.status)) {
            // Refused before any lookup (e.g. "you are no approver") is no oracle if an id that
            // exists nowhere gets the very same answer.
            const nowhere = url.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, () =>
              randomUUID(),
            );
            const control = await call(op.method, nowhere, actor.token, withBody ? {} : undefined);
            if (control.status !== res.status)
              failures.push(`${where} (another tenant's ids answered unlike unknown ids: ${control.status})`);
          }
        } else if (res.status === 401) {
          failures.push(`${where} (a declared role was refused sign-in)`);
        }
      }
      rows.push(
        `${op.method.toUpperCase().padEnd(6)} ${op.path.slice(BASE.length).padEnd(52)} ${cells.map((c) => c.padStart(4)).join('')}  ${authLabel(op.auth)}`,
      );
    }
    console.log(
      `\n      authorization matrix: ${rows.length} routes × ${actors.length} actors = ${rows.length * actors.length} requests\n` +
        `      ${''.padEnd(6)} ${'route'.padEnd(52)} ${actors
          .map((a) =>
            a.name
              .split(' ')
              .map((w) => w[0])
              .join('')
              .padStart(4),
          )
          .join('')}  declared\n` +
        rows.map((r) => `      ${r}`).join('\n'),
    );
    expect(failures, failures.join('\n')).to.deep.equal([]);
  });
});

function authLabel(auth: Auth): string {
  if (auth === 'public') return 'public';
  return auth.roles ? auth.roles.join('|') : 'any signed-in';
}
