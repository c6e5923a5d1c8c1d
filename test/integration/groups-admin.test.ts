import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import nodemailer from 'nodemailer';
import request from 'supertest';
import { loadMxTls, startMx, type RunningMx } from '../../server/modules/transport';
import { createLogger } from '../../server/platform/logger';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createLocalUser, createTenant, tokenFor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

interface Dept {
  external_id: string;
  path: string[];
}
interface Person {
  id: string;
  email: string;
  mailbox_id: string;
  department_ids: string[];
}

const DOMAIN = 'grpco.test';

describe('groups admin: send policy, custom groups, aliases (API, SMTP)', function () {
  this.timeout(90_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let mx: RunningMx;
  let tlsDir: string;
  let tenantId: string;
  let adminId: string;
  let adminToken: string;
  let auditorToken: string;
  let employeeToken: string;
  let foreignToken: string;
  let depts: Dept[];
  let people: Person[];
  // D: a department group; insider is in D's subtree, outsider is not.
  let D: Dept;
  let groupId: string;
  let groupAddress: string;
  let insider: Person;
  let outsider: Person;
  // E: a department of the outsider that does not hold the insider.
  let E: Dept;

  const call = (method: 'get' | 'post' | 'patch' | 'delete', p: string, token = adminToken) =>
    request(app.url)[method](`/api/v1${p}`).set('authorization', `Bearer ${token}`);

  const inSubtree = (p: Person, root: string) =>
    p.department_ids.some((id) => depts.find((d) => d.external_id === id)?.path.includes(root));

  const transport = () =>
    nodemailer.createTransport({ host: '127.0.0.1', port: mx.port, secure: false, ignoreTLS: true });

  /** Sends over SMTP to the MX; resolves to the reply code the recipient got. */
  async function smtpSend(
    from: string,
    to: string,
    subject = '群组测试',
  ): Promise<{ code: number; text: string }> {
    try {
      const info = await transport().sendMail({ from, to, subject, text: '你好，这是一封测试邮件。' });
      return { code: 250, text: info.response };
    } catch (err) {
      const e = err as { responseCode?: number; response?: string; rejectedErrors?: { response: string }[] };
      const text = e.rejectedErrors?.[0]?.response ?? e.response ?? String(err);
      return { code: e.responseCode ?? Number(text.slice(0, 3)), text };
    }
  }

  async function inboxCount(mailboxId: string, subject: string): Promise<number> {
    const [{ n }] = await app.ds.query(
      `SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1 AND mailbox_id = $2 AND subject = $3`,
      [tenantId, mailboxId, subject],
    );
    return n;
  }

  async function audits(action: string, targetId: string) {
    return app.ds.query(
      `SELECT actor_id, details FROM audit_log WHERE tenant_id = $1 AND action = $2 AND target_id = $3 ORDER BY id`,
      [tenantId, action, targetId],
    );
  }

  before(async () => {
    app = await startTestApp();
    tlsDir = mkdtempSync(path.join(os.tmpdir(), 'grp-tls-'));
    tenantId = (await createTenant(app, 'grpco')).id;
    const admin = await createLocalUser(app, tenantId, { roles: ['admin'] });
    const auditor = await createLocalUser(app, tenantId, { roles: ['auditor'] });
    const employee = await createLocalUser(app, tenantId, { roles: ['employee'] });
    adminId = admin.member.id;
    adminToken = tokenFor(app, tenantId, adminId, ['admin']);
    auditorToken = tokenFor(app, tenantId, auditor.member.id, ['auditor']);
    employeeToken = tokenFor(app, tenantId, employee.member.id, ['employee']);
    const other = (await createTenant(app, 'othergrp')).id;
    const otherAdmin = await createLocalUser(app, other, { roles: ['admin'] });
    foreignToken = tokenFor(app, other, otherAdmin.member.id, ['admin']);

    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 30,
      depth: 3,
      seed: 21,
    });
    emulator.setCallback(undefined);
    expect((await app.services.sync.fullSync(tenantId, { trigger: 'manual' })).status).to.equal('applied');
    depts = await app.ds.query(
      `SELECT external_id, path FROM departments WHERE tenant_id = $1 ORDER BY external_id`,
      [tenantId],
    );
    people = await app.ds.query(
      `SELECT m.id, m.email, b.id AS mailbox_id, m.department_ids FROM members m
         JOIN mailboxes b ON b.tenant_id = m.tenant_id AND b.member_id = m.id
        WHERE m.tenant_id = $1 AND m.source = 'dingtalk' AND m.status = 'active' ORDER BY m.external_id`,
      [tenantId],
    );
    // A non-root department with people inside and outside its subtree, and an outsider placed in
    // a department that does not hold the insider.
    for (const d of depts.filter((x) => x.path.length > 1)) {
      const inside = people.filter((p) => inSubtree(p, d.external_id));
      const outside = people.filter((p) => !inSubtree(p, d.external_id));
      for (const o of outside) {
        const e = depts.find(
          (x) => o.department_ids.includes(x.external_id) && !inside.some((i) => inSubtree(i, x.external_id)),
        );
        if (inside.length >= 1 && e) {
          [D, insider, outsider, E] = [d, inside[0]!, o, e];
          break;
        }
      }
      if (D) break;
    }
    expect(D, 'a department to test with').to.not.equal(undefined);
    [{ id: groupId, address: groupAddress }] = await app.ds.query(
      `SELECT g.id, a.local_part || '@${DOMAIN}' AS address FROM mail_groups g
         JOIN addresses a ON a.tenant_id = g.tenant_id AND a.group_id = g.id
        WHERE g.tenant_id = $1 AND g.department_external_id = $2`,
      [tenantId, D.external_id],
    );
    mx = await startMx(app.services.inbound, {
      host: '127.0.0.1',
      port: 0,
      maxBytes: 200_000,
      hostname: 'mx.test',
      logger: createLogger({ level: 'silent' }),
      tls: await loadMxTls({ hostname: 'mx.test', dataDir: tlsDir }),
    });
  });
  after(async () => {
    await mx?.close();
    await emulator?.close();
    await app?.close();
    rmSync(tlsDir, { recursive: true, force: true });
  });

  it('the department tree: every department, direct and subtree member counts, group addresses', async () => {
    const res = await call('get', '/admin/departments', auditorToken).expect(200);
    const nodes: {
      id: string;
      parentId: string | null;
      directMembers: number;
      totalMembers: number;
      groupAddress: string;
    }[] = res.body.departments;
    expect(nodes).to.have.length(depts.length);
    const root = nodes.find((n) => n.parentId === null)!;
    expect(root.totalMembers).to.equal(people.length);
    const d = nodes.find((n) => n.id === D.external_id)!;
    expect(d.totalMembers).to.equal(people.filter((p) => inSubtree(p, D.external_id)).length);
    expect(d.directMembers).to.equal(people.filter((p) => p.department_ids.includes(D.external_id)).length);
    expect(d.groupAddress).to.equal(groupAddress);
    await call('get', '/admin/departments', employeeToken).expect(403);
  });

  it('group detail: counts with and without sub-departments; other tenants get 404', async () => {
    const res = await call('get', `/admin/groups/${groupId}`, auditorToken).expect(200);
    expect(res.body).to.include({
      id: groupId,
      kind: 'department',
      address: groupAddress,
      sendPolicy: 'internal',
    });
    expect(res.body.memberCount).to.equal(people.filter((p) => inSubtree(p, D.external_id)).length);
    expect(res.body.directMemberCount).to.equal(
      people.filter((p) => p.department_ids.includes(D.external_id)).length,
    );
    expect(res.body).to.include.keys('aliases', 'senders', 'entries');
    await call('get', `/admin/groups/${groupId}`, foreignToken).expect(404);
    await call('patch', `/admin/groups/${groupId}`, foreignToken).send({ sendPolicy: 'anyone' }).expect(404);
    await call('get', '/admin/groups/not-a-uuid').expect(400);
  });

  it('"anyone" and "internal" over SMTP: outsiders of the organization are refused with 550 5.7.1', async () => {
    await call('patch', `/admin/groups/${groupId}`).send({ sendPolicy: 'anyone' }).expect(200);
    expect((await smtpSend('partner@example.com', groupAddress, 'anyone-1')).code).to.equal(250);
    expect(await inboxCount(insider.mailbox_id, 'anyone-1')).to.equal(1);

    await call('patch', `/admin/groups/${groupId}`).send({ sendPolicy: 'internal' }).expect(200);
    const refused = await smtpSend('partner@example.com', groupAddress, 'internal-1');
    expect(refused.code).to.equal(550);
    expect(refused.text).to.contain('5.7.1');
    expect((await smtpSend(outsider.email, groupAddress, 'internal-2')).code).to.equal(250);
    expect(await inboxCount(insider.mailbox_id, 'internal-1')).to.equal(0);
    expect(await inboxCount(insider.mailbox_id, 'internal-2')).to.equal(1);
  });

  it('"members": only people the group reaches may send', async () => {
    await call('patch', `/admin/groups/${groupId}`).send({ sendPolicy: 'members' }).expect(200);
    const refused = await smtpSend(outsider.email, groupAddress, 'members-1');
    expect(refused.code).to.equal(550);
    expect(refused.text).to.match(/5\.7\.1 .*members only/);
    expect((await smtpSend(insider.email, groupAddress, 'members-2')).code).to.equal(250);
    expect(await inboxCount(insider.mailbox_id, 'members-2')).to.equal(1);
  });

  it('"listed" with one person: that person may send, a member of the group may not', async () => {
    const res = await call('patch', `/admin/groups/${groupId}`)
      .send({ sendPolicy: 'listed', senders: [{ kind: 'member', memberId: outsider.id }] })
      .expect(200);
    expect(res.body.senders).to.deep.equal([
      {
        kind: 'member',
        id: outsider.id,
        name: res.body.senders[0].name,
        address: outsider.email,
        includeSubdepartments: false,
      },
    ]);
    expect((await smtpSend(outsider.email, groupAddress, 'listed-1')).code).to.equal(250);
    const refused = await smtpSend(insider.email, groupAddress, 'listed-2');
    expect(refused.code).to.equal(550);
    expect(refused.text).to.contain('5.7.1');
    expect(await inboxCount(insider.mailbox_id, 'listed-1')).to.equal(1);
  });

  it('"listed" with a department: its people may send (SMTP and our own outgoing path)', async () => {
    await call('patch', `/admin/groups/${groupId}`)
      .send({ senders: [{ kind: 'department', departmentId: E.external_id, includeSubdepartments: true }] })
      .expect(200);
    expect((await smtpSend(outsider.email, groupAddress, 'listed-dept-1')).code).to.equal(250);
    expect((await smtpSend(insider.email, groupAddress, 'listed-dept-2')).code).to.equal(550);
    // The same rule when one of our own members sends through the outgoing pipeline.
    const raw = (from: string) =>
      Buffer.from(
        `From: ${from}\r\nTo: ${groupAddress}\r\nSubject: out-1\r\nMessage-ID: <${Date.now()}.${from}>\r\n\r\nhi\r\n`,
      );
    const refused = await app.services.outgoing
      .submit({
        tenantId,
        mailboxId: insider.mailbox_id,
        envelopeFrom: insider.email,
        recipients: [groupAddress],
        raw: raw(insider.email),
        kind: 'user',
      })
      .then(
        () => null,
        (err: { code?: string; status?: number }) => err,
      );
    expect(refused).to.include({ code: 'mail.recipient_refused', status: 422 });
    await app.services.outgoing.submit({
      tenantId,
      mailboxId: outsider.mailbox_id,
      envelopeFrom: outsider.email,
      recipients: [groupAddress],
      raw: raw(outsider.email),
      kind: 'user',
    });
    expect(await inboxCount(insider.mailbox_id, 'out-1')).to.equal(1);
  });

  it('send policy changes are audited with the admin as actor', async () => {
    const rows = await audits('group.updated', groupId);
    expect(rows.length).to.be.at.least(5);
    expect(rows.every((r: { actor_id: string }) => r.actor_id === adminId)).to.equal(true);
    expect(
      rows.map((r: { details: { changed: { sendPolicy?: string } } }) => r.details.changed.sendPolicy),
    ).to.include.members(['anyone', 'internal', 'members', 'listed']);
  });

  it('bad input: 400 with the error envelope, nothing changed', async () => {
    const bad = [
      { sendPolicy: 'everyone' },
      { sendPolicy: 'listed', senders: [] },
      { senders: [{ kind: 'department', departmentId: 'no-such-dept' }] },
      { senders: [{ kind: 'member', memberId: '00000000-0000-4000-8000-000000000000' }] },
      { name: '改个名字' },
      { entries: [{ kind: 'member', memberId: insider.id }] },
    ];
    for (const body of bad) {
      const res = await call('patch', `/admin/groups/${groupId}`).send(body).expect(400);
      expect(res.body.error.code, JSON.stringify(body)).to.be.a('string');
    }
    const res = await call('get', `/admin/groups/${groupId}`).expect(200);
    expect(res.body.sendPolicy).to.equal('listed');
    expect(res.body.senders).to.have.length(1);
    // A department group cannot be deleted: it follows the directory.
    await call('delete', `/admin/groups/${groupId}`).expect(409);
  });

  it('auditors read but cannot change; employees cannot read', async () => {
    await call('get', '/admin/groups', auditorToken).expect(200);
    await call('patch', `/admin/groups/${groupId}`, auditorToken).send({ sendPolicy: 'anyone' }).expect(403);
    await call('post', `/admin/groups/${groupId}/aliases`, auditorToken)
      .send({ localPart: 'x.y' })
      .expect(403);
    await call('post', '/admin/groups', auditorToken)
      .send({ name: 'x', localPart: 'x.y', entries: [{ kind: 'member', memberId: insider.id }] })
      .expect(403);
    await call('delete', `/admin/groups/${groupId}`, auditorToken).expect(403);
    await call('get', `/admin/groups/${groupId}`, employeeToken).expect(403);
    await call('get', '/admin/rules', auditorToken).expect(200);
  });

  it('group aliases: deliver like the group, never collide with a mailbox or group address', async () => {
    await call('patch', `/admin/groups/${groupId}`).send({ sendPolicy: 'anyone' }).expect(200);
    const res = await call('post', `/admin/groups/${groupId}/aliases`)
      .send({ localPart: ' Team.Alias ' })
      .expect(201);
    expect(res.body.address).to.equal(groupAddress);
    expect(res.body.aliases.map((a: { address: string }) => a.address)).to.deep.equal([
      `team.alias@${DOMAIN}`,
    ]);
    const aliasId = res.body.aliases[0].id;
    expect((await smtpSend('partner@example.com', `team.alias@${DOMAIN}`, 'alias-1')).code).to.equal(250);
    expect(await inboxCount(insider.mailbox_id, 'alias-1')).to.equal(1);

    // A mailbox's address, another group's address, the alias again: 409. Reserved or malformed: 400.
    const otherGroup = await app.ds.query(
      `SELECT a.local_part FROM addresses a WHERE a.tenant_id = $1 AND a.kind = 'group' AND a.group_id <> $2 LIMIT 1`,
      [tenantId, groupId],
    );
    for (const localPart of [insider.email.split('@')[0], otherGroup[0].local_part, 'team.alias']) {
      await call('post', `/admin/groups/${groupId}/aliases`).send({ localPart }).expect(409);
    }
    for (const localPart of ['postmaster', 'bad..dots', '']) {
      await call('post', `/admin/groups/${groupId}/aliases`).send({ localPart }).expect(400);
    }
    // Nor can a mailbox alias later take the group alias's name.
    await call('post', `/admin/members/${insider.id}/aliases`).send({ localPart: 'team.alias' }).expect(409);

    await call('delete', `/admin/groups/${groupId}/aliases/${aliasId}`, foreignToken).expect(404);
    await call('delete', `/admin/groups/${groupId}/aliases/${aliasId}`).expect(204);
    const gone = await smtpSend('partner@example.com', `team.alias@${DOMAIN}`, 'alias-2');
    expect(gone.code).to.equal(550);
    expect(gone.text).to.contain('5.1.1');
    // The group's own address is not an alias: it cannot be removed this way.
    const [{ id: ownId }] = await app.ds.query(
      `SELECT id FROM addresses WHERE tenant_id = $1 AND group_id = $2`,
      [tenantId, groupId],
    );
    await call('delete', `/admin/groups/${groupId}/aliases/${ownId}`).expect(404);
    expect(await audits('group.alias_added', groupId)).to.have.length(1);
    expect((await audits('group.alias_removed', groupId))[0].details).to.include({
      address: `team.alias@${DOMAIN}`,
    });
  });

  it('custom groups: created with people and a department, deliver like department groups, edited, deleted', async () => {
    const sub = depts.find((d) => d.path.length > 1 && d.external_id !== D.external_id)!;
    const direct = people.filter((p) => p.department_ids.includes(sub.external_id));
    const reach = new Set([insider.id, ...direct.map((p) => p.id)]);
    const created = await call('post', '/admin/groups')
      .send({
        name: '项目组 Alpha',
        localPart: 'alpha.team',
        entries: [
          { kind: 'member', memberId: insider.id },
          { kind: 'department', departmentId: sub.external_id, includeSubdepartments: false },
        ],
      })
      .expect(201);
    const id = created.body.id;
    expect(created.body).to.include({
      kind: 'custom',
      name: '项目组 Alpha',
      address: `alpha.team@${DOMAIN}`,
    });
    expect(created.body.memberCount).to.equal(reach.size);
    expect(created.body.entries.map((e: { kind: string }) => e.kind)).to.deep.equal(['member', 'department']);
    expect(await audits('group.created', id)).to.have.length(1);

    // From inside (default policy "internal"): every person reached gets exactly one copy.
    expect((await smtpSend(outsider.email, `alpha.team@${DOMAIN}`, 'custom-1')).code).to.equal(250);
    for (const p of people) {
      expect(await inboxCount(p.mailbox_id, 'custom-1'), p.email).to.equal(reach.has(p.id) ? 1 : 0);
    }

    // Taken or reserved addresses, unknown or foreign entries, no entries: refused.
    const base = { name: 'x', entries: [{ kind: 'member', memberId: insider.id }] };
    await call('post', '/admin/groups')
      .send({ ...base, localPart: 'alpha.team' })
      .expect(409);
    await call('post', '/admin/groups')
      .send({ ...base, localPart: insider.email.split('@')[0] })
      .expect(409);
    await call('post', '/admin/groups')
      .send({ ...base, localPart: 'postmaster' })
      .expect(400);
    await call('post', '/admin/groups')
      .send({ ...base, localPart: 'new.one', entries: [] })
      .expect(400);
    await call('post', '/admin/groups', foreignToken)
      .send({ ...base, localPart: 'stolen' })
      .expect(400);

    // Edit: only the insider now; then delete (address freed, mail to it is unknown).
    const edited = await call('patch', `/admin/groups/${id}`)
      .send({ name: '项目组 Beta', entries: [{ kind: 'member', memberId: outsider.id }] })
      .expect(200);
    expect(edited.body).to.include({ name: '项目组 Beta', memberCount: 1 });
    await call('patch', `/admin/groups/${id}`).send({ includeSubdepartments: true }).expect(400);
    await call('delete', `/admin/groups/${id}`, foreignToken).expect(404);
    await call('delete', `/admin/groups/${id}`).expect(204);
    expect((await smtpSend(outsider.email, `alpha.team@${DOMAIN}`, 'custom-2')).code).to.equal(550);
    const [del] = await audits('group.deleted', id);
    expect(del.details).to.deep.equal({ name: '项目组 Beta', addresses: [`alpha.team@${DOMAIN}`] });
    const left = await app.ds.query(
      `SELECT count(*)::int AS n FROM mail_group_members WHERE tenant_id = $1 AND group_id = $2`,
      [tenantId, id],
    );
    expect(left[0].n).to.equal(0);
  });
});
