import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { DeliveryTarget } from '../../server/modules/mailboxes';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createTenant, tokenFor } from '../support/fixtures';
import type { TestApp } from '../support/test-app';

export const fixture = (name: string) => readFileSync(path.resolve('test/fixtures/mail', name));

export interface Person {
  tenantId: string;
  memberId: string;
  mailboxId: string;
  email: string;
  token: string;
}

export interface Org {
  tenantId: string;
  emulator: RunningEmulator;
  people: Person[];
}

/** A tenant synced from the DingTalk emulator, with real members and mailboxes. */
export async function startOrg(app: TestApp, slug: string, employees = 6, seed = 7): Promise<Org> {
  const tenantId = (await createTenant(app, slug)).id;
  const emulator = await startSandbox({
    integrations: app.services.dingtalk,
    tenantId,
    callbackBaseUrl: app.url,
    employees,
    depth: 2,
    seed,
  });
  emulator.setCallback(undefined);
  await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
  const rows: { member_id: string; mailbox_id: string; email: string }[] = await app.ds.query(
    `SELECT m.id AS member_id, b.id AS mailbox_id, m.email FROM members m
       JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
      WHERE m.tenant_id = $1 AND b.status = 'active' ORDER BY m.email`,
    [tenantId],
  );
  const people = rows.map((r) => ({
    tenantId,
    memberId: r.member_id,
    mailboxId: r.mailbox_id,
    email: r.email,
    token: tokenFor(app, tenantId, r.member_id, ['employee']),
  }));
  return { tenantId, emulator, people };
}

let seq = 0;

/** A small RFC 5322 message; `html` makes it multipart/alternative. */
export function mail(opts: {
  subject: string;
  body?: string;
  html?: string;
  from?: string;
  to?: string;
}): Buffer {
  const id = `<t${++seq}.${Date.now()}@example.cn>`;
  const head = [
    `From: ${opts.from ?? 'Zhang San <zhangsan@example.cn>'}`,
    `To: ${opts.to ?? 'someone@orgmail.test'}`,
    `Subject: =?UTF-8?B?${Buffer.from(opts.subject).toString('base64')}?=`,
    `Message-ID: ${id}`,
    'Date: Mon, 03 Jun 2024 10:00:00 +0800',
    'MIME-Version: 1.0',
  ];
  const text = opts.body ?? `正文 ${opts.subject}`;
  if (!opts.html) {
    return Buffer.from(
      [
        ...head,
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: base64',
        '',
        b64(text),
      ].join('\r\n'),
    );
  }
  return Buffer.from(
    [
      ...head,
      'Content-Type: multipart/alternative; boundary="alt"',
      '',
      '--alt',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      b64(text),
      '--alt',
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      b64(opts.html),
      '--alt--',
      '',
    ].join('\r\n'),
  );
}

function b64(s: string): string {
  return (
    Buffer.from(s)
      .toString('base64')
      .match(/.{1,76}/g)
      ?.join('\r\n') ?? ''
  );
}

/** Delivers through the real pipeline; returns the stored message id of each person's copy. */
export async function deliver(app: TestApp, tenantId: string, to: Person[], raw: Buffer, receivedAt?: Date) {
  const targets: DeliveryTarget[] = [];
  for (const p of to) {
    const r = await app.services.recipients.resolve(p.email);
    if (r.kind !== 'mailbox' && r.kind !== 'alias') throw new Error(`${p.email} does not resolve`);
    targets.push(r.target);
  }
  const delivered = await app.services.delivery.deliver({ tenantId, raw, targets, receivedAt });
  const ids: { id: string; mailbox_id: string }[] = await app.ds.query(
    `SELECT id, mailbox_id FROM messages WHERE tenant_id = $1 AND id = ANY($2)`,
    [tenantId, delivered.messageIds],
  );
  return to.map((p) => ids.find((r) => r.mailbox_id === p.mailboxId)!.id);
}

/** An HTTP client for one person. */
export function as(app: TestApp, p: Person) {
  const auth = (r: request.Test) => r.set('authorization', `Bearer ${p.token}`);
  return {
    get: (url: string) => auth(request(app.url).get(`/api/v1${url}`)),
    post: (url: string, body?: object) => auth(request(app.url).post(`/api/v1${url}`)).send(body ?? {}),
    patch: (url: string, body: object) => auth(request(app.url).patch(`/api/v1${url}`)).send(body),
    delete: (url: string) => auth(request(app.url).delete(`/api/v1${url}`)),
  };
}

export async function folderIds(app: TestApp, p: Person): Promise<Record<string, string>> {
  const rows: { id: string; role: string }[] = await app.ds.query(
    `SELECT id, role FROM folders WHERE tenant_id = $1 AND mailbox_id = $2 AND role IS NOT NULL`,
    [p.tenantId, p.mailboxId],
  );
  return Object.fromEntries(rows.map((r) => [r.role, r.id]));
}

export async function usedBytes(app: TestApp, p: Person): Promise<number> {
  const [row] = await app.ds.query(`SELECT used_bytes FROM mailboxes WHERE tenant_id = $1 AND id = $2`, [
    p.tenantId,
    p.mailboxId,
  ]);
  return Number(row.used_bytes);
}

/** The trigger-kept folder counters agree with counting the messages. */
export async function countsDrift(app: TestApp, tenantId: string): Promise<unknown[]> {
  return app.ds.query(
    `SELECT f.id, f.name, f.total_count, f.unread_count, coalesce(c.total, 0) AS total, coalesce(c.unread, 0) AS unread
       FROM folders f
       LEFT JOIN (SELECT folder_id, count(*) AS total, count(*) FILTER (WHERE NOT is_seen) AS unread
                    FROM messages WHERE tenant_id = $1 GROUP BY folder_id) c ON c.folder_id = f.id
      WHERE f.tenant_id = $1 AND (f.total_count <> coalesce(c.total, 0) OR f.unread_count <> coalesce(c.unread, 0))`,
    [tenantId],
  );
}
