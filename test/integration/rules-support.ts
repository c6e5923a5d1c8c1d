import request from 'supertest';
import type { DeliveryTarget } from '../../server/modules/mailboxes';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createTenant, tokenFor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

/** A synced sandbox organization with real members, mailboxes, departments and groups, for rule tests. */
export interface Person {
  memberId: string;
  externalId: string;
  email: string;
  mailboxId: string;
  departmentIds: string[];
  token: string;
}

export interface RulesWorld {
  app: TestApp;
  emulator: RunningEmulator;
  tenantId: string;
  domain: string;
  people: Person[];
  close(): Promise<void>;
}

export async function rulesWorld(slug: string, employees = 20): Promise<RulesWorld> {
  const app = await startTestApp();
  const tenantId = (await createTenant(app, slug)).id;
  const emulator = await startSandbox({
    integrations: app.services.dingtalk,
    tenantId,
    callbackBaseUrl: app.url,
    employees,
    depth: 2,
    seed: 11,
  });
  emulator.setCallback(undefined);
  await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
  const rows: {
    member_id: string;
    external_id: string;
    email: string;
    mailbox_id: string;
    department_ids: string[];
  }[] = await app.ds.query(
    `SELECT m.id AS member_id, m.external_id, m.email, b.id AS mailbox_id, m.department_ids
       FROM members m JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
      WHERE m.tenant_id = $1 AND m.status = 'active' AND b.status = 'active' AND m.email IS NOT NULL
      ORDER BY m.email`,
    [tenantId],
  );
  const people = rows.map((r) => ({
    memberId: r.member_id,
    externalId: r.external_id,
    email: r.email,
    mailboxId: r.mailbox_id,
    departmentIds: r.department_ids,
    token: tokenFor(app, tenantId, r.member_id, ['employee']),
  }));
  return {
    app,
    emulator,
    tenantId,
    domain: `${slug}.test`,
    people,
    close: async () => {
      await app.services.applyRules.idle();
      await app.services.jobs.idle();
      await emulator.close();
      await app.close();
    },
  };
}

export async function targetsOf(app: TestApp, ...addresses: string[]): Promise<DeliveryTarget[]> {
  const out: DeliveryTarget[] = [];
  for (const a of addresses) {
    const r = await app.services.recipients.resolve(a);
    if (r.kind === 'mailbox' || r.kind === 'alias') out.push(r.target);
    else if (r.kind === 'group') out.push(...r.targets);
    else throw new Error(`${a} does not resolve`);
  }
  return out;
}

export function api(app: TestApp, token: string) {
  const auth = (t: request.Test) => t.set('authorization', `Bearer ${token}`);
  return {
    get: (path: string) => auth(request(app.url).get(`/api/v1${path}`)),
    post: (path: string, body?: object) => auth(request(app.url).post(`/api/v1${path}`)).send(body ?? {}),
    put: (path: string, body: object) => auth(request(app.url).put(`/api/v1${path}`)).send(body),
    patch: (path: string, body: object) => auth(request(app.url).patch(`/api/v1${path}`)).send(body),
    delete: (path: string) => auth(request(app.url).delete(`/api/v1${path}`)),
  };
}

/** A custom top-level folder in a mailbox (the folder API belongs to the mail module). */
export async function createFolder(app: TestApp, tenantId: string, mailboxId: string, name: string) {
  const [row] = await app.ds.query(
    `INSERT INTO folders (tenant_id, mailbox_id, name) VALUES ($1, $2, $3) RETURNING id`,
    [tenantId, mailboxId, name],
  );
  return row.id as string;
}

/** Messages of a mailbox with where they landed. */
export async function mailOf(app: TestApp, tenantId: string, mailboxId: string) {
  return (await app.ds.query(
    `SELECT m.id, m.subject, m.labels, m.is_seen, m.importance, m.folder_id, f.role, f.name AS folder_name, m.received_at
       FROM messages m JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id
      WHERE m.tenant_id = $1 AND m.mailbox_id = $2 ORDER BY m.received_at, m.id`,
    [tenantId, mailboxId],
  )) as {
    id: string;
    subject: string;
    labels: string[];
    is_seen: boolean;
    importance: string;
    folder_id: string;
    role: string | null;
    folder_name: string;
  }[];
}

export function eml(headers: Record<string, string>, body = 'hello\r\n'): Buffer {
  const lines = Object.entries({
    'Message-ID': `<${Math.random().toString(36).slice(2)}@test.example>`,
    Date: new Date().toUTCString(),
    'MIME-Version': '1.0',
    'Content-Type': 'text/plain; charset=utf-8',
    ...headers,
  }).map(([k, v]) => `${k}: ${v}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
