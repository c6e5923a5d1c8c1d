import { expect } from 'chai';
import request from 'supertest';
import { PeopleSearchResult } from '../../shared/directory/people';
import { ClientConfigDto, SandboxEmployeeList } from '../../shared/sandbox';
import type { RunningEmulator } from '../../server/sandbox/dingtalk-emulator';
import { startSandbox } from '../../server/sandbox/sandbox-mode';
import { SandboxSignIn } from '../../server/sandbox/sandbox-signin.routes';
import { createTenant, tokenFor } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

interface Person {
  id: string;
  display_name: string;
  name_pinyin: string;
  name_initials: string;
  email: string;
}

describe('recipient picker search and sandbox sign-in (GET /directory/people, /sandbox/*)', function () {
  this.timeout(90_000);
  let app: TestApp;
  const emulators: RunningEmulator[] = [];
  let tenantA: string;
  let tenantB: string;
  let token: string;
  let person: Person;
  let strangerName: string;

  async function org(slug: string, seed: number): Promise<string> {
    const tenantId = (await createTenant(app, slug)).id;
    const emulator = await startSandbox({
      integrations: app.services.dingtalk,
      tenantId,
      callbackBaseUrl: app.url,
      employees: 25,
      depth: 2,
      seed,
    });
    emulator.setCallback(undefined);
    emulators.push(emulator);
    await app.services.sync.fullSync(tenantId, { trigger: 'manual' });
    return tenantId;
  }

  before(async () => {
    app = await startTestApp();
    tenantA = await org('peoplea', 11);
    tenantB = await org('peopleb', 12);
    const rows: Person[] = await app.ds.query(
      `SELECT m.id, m.display_name, m.name_pinyin, m.name_initials, m.email FROM members m
        WHERE m.tenant_id = $1 AND m.source = 'dingtalk' AND m.status = 'active' ORDER BY m.display_name`,
      [tenantA],
    );
    person =
      rows.find((r) => rows.filter((x) => x.name_initials === r.name_initials).length === 1) ?? rows[0]!;
    const [me] = rows.filter((r) => r.id !== person.id);
    token = tokenFor(app, tenantA, me!.id, ['employee']);
    // Someone of the other organization whose name no one in A has.
    const others: { display_name: string }[] = await app.ds.query(
      `SELECT display_name FROM members WHERE tenant_id = $1 AND source = 'dingtalk'`,
      [tenantB],
    );
    strangerName = others.map((o) => o.display_name).find((n) => !rows.some((r) => r.display_name === n))!;
  });

  after(async () => {
    for (const e of emulators) await e.close();
    await app.close();
  });

  const search = (q: string, t = token) =>
    request(app.url).get('/api/v1/directory/people').query({ q }).set('authorization', `Bearer ${t}`);

  it('finds a colleague by name, full pinyin and initials, with their mailbox address', async () => {
    for (const q of [
      person.display_name,
      person.display_name.slice(1),
      person.name_pinyin,
      person.name_initials,
    ]) {
      const res = await search(q).expect(200);
      const body = PeopleSearchResult.parse(res.body);
      const hit = body.people.find((p) => p.memberId === person.id);
      expect(hit, q).to.not.equal(undefined);
      expect(hit!.address).to.equal(person.email);
      expect(hit!.name).to.equal(person.display_name);
    }
    // Upper case and spaces in pinyin still match.
    const res = await search(person.name_pinyin.toUpperCase()).expect(200);
    expect(res.body.people.map((p: { memberId: string }) => p.memberId)).to.include(person.id);
  });

  it('finds department groups by name', async () => {
    const [dept] = await app.ds.query(
      `SELECT g.name FROM mail_groups g WHERE g.tenant_id = $1 AND g.kind = 'department' ORDER BY g.name LIMIT 1`,
      [tenantA],
    );
    const res = await search(dept.name).expect(200);
    const body = PeopleSearchResult.parse(res.body);
    expect(body.groups.map((g) => g.name)).to.include(dept.name);
    expect(body.groups[0]!.address).to.match(/@peoplea\.test$/);
  });

  it("never shows another organization's people, and caps results at 20", async () => {
    const res = await search(strangerName).expect(200);
    expect(res.body.people).to.deep.equal([]);
    const all = await search('a').expect(200);
    expect(all.body.people.length).to.be.at.most(20);
    const tokenB = tokenFor(
      app,
      tenantB,
      (await app.ds.query(`SELECT id FROM members WHERE tenant_id = $1 LIMIT 1`, [tenantB]))[0].id,
      ['employee'],
    );
    const fromB = await search(person.display_name, tokenB).expect(200);
    expect(fromB.body.people.map((p: { memberId: string }) => p.memberId)).to.not.include(person.id);
  });

  it('answers bad input with the error envelope', async () => {
    const empty = await search('   ').expect(400);
    expect(empty.body.error.code).to.equal('validation_failed');
    await request(app.url).get('/api/v1/directory/people').query({ q: 'x' }).expect(401);
    const wild = await search('%_%').expect(200);
    expect(wild.body.people).to.deep.equal([]);
  });

  it('sandbox sign-in routes are 404 until an emulator is attached, then run the DingTalk sign-in', async () => {
    const sandbox: SandboxSignIn = app.services.sandboxSignIn;
    const cfg = ClientConfigDto.parse((await request(app.url).get('/api/v1/client-config').expect(200)).body);
    expect(cfg).to.deep.equal({ mode: 'production', corpId: null, appName: 'OrgMail' });
    await request(app.url).get('/api/v1/sandbox/employees').expect(404);
    await request(app.url).post('/api/v1/sandbox/auth-code').send({ userid: 'x' }).expect(404);

    sandbox.attach(emulators[0]);
    try {
      const sandboxCfg = (await request(app.url).get('/api/v1/client-config').expect(200)).body;
      expect(sandboxCfg.mode).to.equal('sandbox');
      expect(sandboxCfg.corpId).to.equal(emulators[0]!.corpId);
      const list = SandboxEmployeeList.parse(
        (await request(app.url).get('/api/v1/sandbox/employees').query({ limit: 5 }).expect(200)).body,
      );
      expect(list.employees).to.have.length(5);
      const code = (
        await request(app.url)
          .post('/api/v1/sandbox/auth-code')
          .send({ userid: list.employees[0]!.userid })
          .expect(200)
      ).body;
      const session = await request(app.url).post('/api/v1/auth/dingtalk').send(code).expect(200);
      expect(session.body.member.displayName).to.equal(list.employees[0]!.name);
      expect(session.body.member.tenantId).to.equal(tenantA);
      const unknown = await request(app.url)
        .post('/api/v1/sandbox/auth-code')
        .send({ userid: 'nobody' })
        .expect(404);
      expect(unknown.body.error.code).to.equal('not_found');
      await request(app.url).post('/api/v1/sandbox/auth-code').send({}).expect(400);
    } finally {
      sandbox.detach();
    }
    await request(app.url).get('/api/v1/sandbox/employees').expect(404);
    // In production the emulator is never attached.
    const production = new SandboxSignIn(true);
    production.attach(emulators[0]);
    expect(production.corpId).to.equal(null);
  });
});
