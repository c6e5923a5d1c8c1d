import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import request from 'supertest';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { createLocalUser, createTenant, tokenFor } from '../support/fixtures';
import { waitFor } from '../support/process';
import { startTestApp, type TestApp } from '../support/test-app';

interface Person {
  id: string;
  email: string;
  mailboxId: string;
}

const DOMAIN = 'addrco.test';

describe('mailbox addresses: admin overrides and aliases', function () {
  this.timeout(60_000);
  let app: TestApp;
  let emulator: RunningEmulator;
  let tenantId: string;
  let adminToken: string;
  let auditorToken: string;
  let employeeToken: string;
  let localAdminId: string;
  let people: Person[];

  const call = (method: 'get' | 'put' | 'post' | 'delete', path: string, token = adminToken) =>
    request(app.url)[method](`/api/v1${path}`).set('authorization', `Bearer ${token}`);

  async function current(memberId: string) {
    const [row] = await app.ds.query(
      `SELECT m.email, mb.local_part FROM members m JOIN mailboxes mb ON mb.tenant_id = m.tenant_id AND mb.member_id = m.id
        WHERE m.tenant_id = $1 AND m.id = $2`,
      [tenantId, memberId],
    );
    return row as { email: string; local_part: string };
  }

  async function auditOf(action: string, mailboxId: string) {
    return app.ds.query(
      `SELECT actor_id, details FROM audit_log WHERE tenant_id = $1 AND action = $2 AND target_id = $3 ORDER BY id`,
      [tenantId, action, mailboxId],
    );
  }

  before(async () => {
    app = await startTestApp();
    tenantId = (await createTenant(app, 'addrco')).id;
    const admin = await createLocalUser(app, tenantId, { roles: ['admin'] });
    const auditor = await createLocalUser(app, tenantId, { roles: ['auditor'] });
    const employee = await createLocalUser(app, tenantId, { roles: ['employee'] });
    localAdminId = admin.member.id;
    adminToken = tokenFor(app, tenantId, admin.member.id, ['admin']);
    auditorToken = tokenFor(app, tenantId, auditor.member.id, ['auditor']);
    employeeToken = tokenFor(app, tenantId, employee.member.id, ['employee']);
    emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 12,
      depth: 2,
      seed: 11,
    });
    // Changes reach us through explicit full syncs here, not pushed events.
    emulator.setCallback(undefined);
    expect((await app.services.sync.fullSync(tenantId, { trigger: 'manual' })).status).to.equal('applied');
    people = await app.ds.query(
      `SELECT m.id, m.email, mb.id AS "mailboxId" FROM members m
         JOIN mailboxes mb ON mb.tenant_id = m.tenant_id AND mb.member_id = m.id
        WHERE m.tenant_id = $1 AND m.source = 'dingtalk' ORDER BY m.external_id`,
      [tenantId],
    );
    expect(people.length).to.be.at.least(9);
  });
  after(async () => {
    await emulator.close();
    await app.close();
  });

  it('shows the primary address and aliases to admins and auditors', async () => {
    const [p] = people;
    const res = await call('get', `/admin/members/${p.id}/addresses`, auditorToken).expect(200);
    expect(res.body).to.deep.equal({ mailboxId: p.mailboxId, memberId: p.id, primary: p.email, aliases: [] });
  });

  it('override: the old address becomes an alias of the same mailbox, members.email follows', async () => {
    const [p] = people;
    const res = await call('put', `/admin/members/${p.id}/address`)
      .send({ localPart: ' Boss.Lee ' })
      .expect(200);
    expect(res.body.primary).to.equal(`boss.lee@${DOMAIN}`);
    expect(res.body.aliases.map((a: { address: string }) => a.address)).to.deep.equal([p.email]);
    expect(await current(p.id)).to.deep.equal({ email: `boss.lee@${DOMAIN}`, local_part: 'boss.lee' });
    const rows = await app.ds.query(
      `SELECT local_part, kind FROM addresses WHERE tenant_id = $1 AND mailbox_id = $2 ORDER BY kind`,
      [tenantId, p.mailboxId],
    );
    expect(rows).to.deep.equal([
      { local_part: p.email.split('@')[0], kind: 'alias' },
      { local_part: 'boss.lee', kind: 'mailbox' },
    ]);
    const audits = await auditOf('mailbox.address_changed', p.mailboxId);
    expect(audits).to.have.length(1);
    expect(audits[0].actor_id).to.equal(localAdminId);
    expect(audits[0].details).to.include({ memberId: p.id, before: p.email, after: `boss.lee@${DOMAIN}` });

    // Setting the same primary again changes and audits nothing.
    await call('put', `/admin/members/${p.id}/address`).send({ localPart: 'boss.lee' }).expect(200);
    expect(await auditOf('mailbox.address_changed', p.mailboxId)).to.have.length(1);
  });

  it('setting the primary to one of its own aliases swaps the two', async () => {
    const [p] = people;
    const oldLocal = p.email.split('@')[0];
    const res = await call('put', `/admin/members/${p.id}/address`).send({ localPart: oldLocal }).expect(200);
    expect(res.body.primary).to.equal(p.email);
    expect(res.body.aliases.map((a: { address: string }) => a.address)).to.deep.equal([`boss.lee@${DOMAIN}`]);
    expect(await current(p.id)).to.deep.equal({ email: p.email, local_part: oldLocal });
    const [{ n }] = await app.ds.query(
      `SELECT count(*)::int AS n FROM addresses WHERE tenant_id = $1 AND mailbox_id = $2`,
      [tenantId, p.mailboxId],
    );
    expect(n).to.equal(2);
    const audits = await auditOf('mailbox.address_changed', p.mailboxId);
    expect(audits[1].details).to.include({ before: `boss.lee@${DOMAIN}`, after: p.email, swapped: true });
  });

  it("refuses another member's address, another member's alias and a group address with 409", async () => {
    const [a, b] = people;
    const [group] = await app.ds.query(
      `SELECT local_part FROM addresses WHERE tenant_id = $1 AND kind = 'group' LIMIT 1`,
      [tenantId],
    );
    const taken = [a.email.split('@')[0], 'boss.lee', group.local_part];
    for (const localPart of taken) {
      const put = await call('put', `/admin/members/${b.id}/address`).send({ localPart }).expect(409);
      expect(put.body.error.code, localPart).to.equal('conflict');
      const post = await call('post', `/admin/members/${b.id}/aliases`).send({ localPart }).expect(409);
      expect(post.body.error.code, localPart).to.equal('conflict');
    }
    // Its own primary is not a new alias either.
    await call('post', `/admin/members/${b.id}/aliases`)
      .send({ localPart: b.email.split('@')[0] })
      .expect(409);
    expect((await current(b.id)).email).to.equal(b.email);
    expect((await call('get', `/admin/members/${b.id}/addresses`).expect(200)).body.aliases).to.deep.equal(
      [],
    );
  });

  it('refuses reserved names (built-in and the tenant’s own) and invalid ones with 400 and every problem', async () => {
    const [, , c] = people;
    await call('put', '/admin/directory/sync-policy')
      .send({ reservedLocalParts: ['ceo'] })
      .expect(200);
    for (const localPart of ['postmaster', 'ceo']) {
      for (const [method, path] of [
        ['put', `/admin/members/${c.id}/address`],
        ['post', `/admin/members/${c.id}/aliases`],
      ] as const) {
        const res = await call(method, path).send({ localPart }).expect(400);
        expect(res.body.error.code).to.equal('validation_failed');
        expect(res.body.error.details.issues[0].path).to.equal('body.localPart');
        expect(res.body.error.details.issues[0].message).to.contain('reserved');
      }
    }
    const bad = await call('put', `/admin/members/${c.id}/address`)
      .send({ localPart: '.张三..x' })
      .expect(400);
    const messages = bad.body.error.details.issues.map((i: { message: string }) => i.message).join('\n');
    expect(messages).to.contain('"张"');
    expect(messages).to.contain('start with a dot');
    expect(messages).to.contain('two dots in a row');
    await call('post', `/admin/members/${c.id}/aliases`).send({ localPart: 'a b' }).expect(400);
    expect((await current(c.id)).email).to.equal(c.email);
  });

  it('adds and removes aliases, audited; only this mailbox’s aliases can be removed', async () => {
    const [, , , d, e] = people;
    const added = await call('post', `/admin/members/${d.id}/aliases`)
      .send({ localPart: 'sales.east' })
      .expect(201);
    expect(added.body.primary).to.equal(d.email);
    expect(added.body.aliases).to.have.length(1);
    const alias = added.body.aliases[0];
    expect(alias.address).to.equal(`sales.east@${DOMAIN}`);
    expect(new Date(alias.createdAt).getTime()).to.be.closeTo(Date.now(), 60_000);
    expect((await auditOf('mailbox.alias_added', d.mailboxId))[0].details).to.include({
      aliasId: alias.id,
      address: `sales.east@${DOMAIN}`,
    });

    // Someone else's path cannot remove it.
    await call('delete', `/admin/members/${e.id}/aliases/${alias.id}`).expect(404);
    await call('delete', `/admin/members/${d.id}/aliases/${alias.id}`).expect(204);
    expect((await call('get', `/admin/members/${d.id}/addresses`).expect(200)).body.aliases).to.deep.equal(
      [],
    );
    await call('delete', `/admin/members/${d.id}/aliases/${alias.id}`).expect(404);
    expect((await auditOf('mailbox.alias_removed', d.mailboxId))[0].details).to.include({
      aliasId: alias.id,
      address: `sales.east@${DOMAIN}`,
    });
    // The primary's own address row is not an alias and stays.
    const [primaryRow] = await app.ds.query(
      `SELECT id FROM addresses WHERE tenant_id = $1 AND mailbox_id = $2 AND kind = 'mailbox'`,
      [tenantId, d.mailboxId],
    );
    await call('delete', `/admin/members/${d.id}/aliases/${primaryRow.id}`).expect(404);
    expect((await current(d.id)).email).to.equal(d.email);
  });

  it('employees and auditors may not change addresses (403)', async () => {
    const [p] = people;
    await call('get', `/admin/members/${p.id}/addresses`, employeeToken).expect(403);
    for (const token of [employeeToken, auditorToken]) {
      const res = await call('put', `/admin/members/${p.id}/address`, token)
        .send({ localPart: 'x1' })
        .expect(403);
      expect(res.body.error.code).to.equal('forbidden');
      await call('post', `/admin/members/${p.id}/aliases`, token).send({ localPart: 'x1' }).expect(403);
      await call('delete', `/admin/members/${p.id}/aliases/${randomUUID()}`, token).expect(403);
    }
  });

  it("another tenant's member and a member without a mailbox are 404", async () => {
    const other = await createTenant(app, 'addrother');
    const outsider = await createLocalUser(app, other.id, { roles: ['employee'] });
    await app.ds.transaction(async (em) => {
      const ns = await app.services.mailboxes.loadNamespace(em, other.id);
      await app.services.mailboxes.insertMailboxes(em, other.id, ns, [
        {
          memberId: outsider.member.id,
          mailboxId: randomUUID(),
          localPart: 'outsider',
          address: 'outsider@addrother.test',
        },
      ]);
    });
    for (const id of [outsider.member.id, localAdminId, randomUUID()]) {
      const res = await call('get', `/admin/members/${id}/addresses`).expect(404);
      expect(res.body.error.code).to.equal('not_found');
      await call('put', `/admin/members/${id}/address`).send({ localPart: 'stolen' }).expect(404);
      await call('post', `/admin/members/${id}/aliases`).send({ localPart: 'stolen' }).expect(404);
    }
    const [{ local_part }] = await app.ds.query(
      `SELECT local_part FROM mailboxes WHERE tenant_id = $1 AND member_id = $2`,
      [other.id, outsider.member.id],
    );
    expect(local_part).to.equal('outsider');
  });

  it('a concurrent claim of the same local part ends as 409 at the unique index, and changes nothing', async () => {
    const [, , , , , f, g, h] = people;
    // Hold an uncommitted claim of "racer" so the request passes its check and then meets the index.
    const runner = app.ds.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      await runner.query(
        `INSERT INTO addresses (tenant_id, domain_id, local_part, kind, mailbox_id)
         SELECT tenant_id, domain_id, 'racer', 'alias', id FROM mailboxes WHERE tenant_id = $1 AND id = $2`,
        [tenantId, f.mailboxId],
      );
      const pending = call('put', `/admin/members/${g.id}/address`)
        .send({ localPart: 'racer' })
        .then((r) => r);
      await waitFor(
        async () =>
          (
            await app.ds.query(
              `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO addresses%'`,
            )
          ).length > 0,
        10_000,
        'the request to wait on the unique index',
      );
      await runner.commitTransaction();
      const res = await pending;
      expect(res.status).to.equal(409);
      expect(res.body.error.code).to.equal('conflict');
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
    expect(await current(g.id)).to.deep.equal({ email: g.email, local_part: g.email.split('@')[0] });
    expect((await call('get', `/admin/members/${g.id}/addresses`).expect(200)).body.aliases).to.deep.equal(
      [],
    );

    // Two admins at once: exactly one wins.
    const results = await Promise.all(
      [g, h].map((p) => call('put', `/admin/members/${p.id}/address`).send({ localPart: 'onlyone' })),
    );
    expect(results.map((r) => r.status).sort()).to.deep.equal([200, 409]);
  });

  it('the directory sync never hands an overridden or alias address to a newcomer', async () => {
    const i = people[8];
    const inUse = await app.ds.query(
      `SELECT local_part FROM addresses WHERE tenant_id = $1 AND local_part IN ('zhangsan', 'zhangsan2', 'zhangsan3')`,
      [tenantId],
    );
    expect(inUse).to.deep.equal([]); // nobody holds it yet, so the newcomer would otherwise get it
    await call('put', `/admin/members/${i.id}/address`).send({ localPart: 'zhangsan' }).expect(200);
    await call('post', `/admin/members/${i.id}/aliases`).send({ localPart: 'zhangsan2' }).expect(201);

    const hired = emulator.org.hire({ name: '张三', deptIds: [1] });
    expect((await app.services.sync.fullSync(tenantId, { trigger: 'manual' })).status).to.equal('applied');
    const [newcomer] = await app.ds.query(
      `SELECT m.email, mb.local_part FROM members m JOIN mailboxes mb ON mb.tenant_id = m.tenant_id AND mb.member_id = m.id
        WHERE m.tenant_id = $1 AND m.external_id = $2`,
      [tenantId, hired.userid],
    );
    expect(newcomer.local_part).to.equal('zhangsan3');
    expect(newcomer.email).to.equal(`zhangsan3@${DOMAIN}`);
    expect((await current(i.id)).email).to.equal(`zhangsan@${DOMAIN}`);
  });
});
