import { expect } from 'chai';
import request from 'supertest';
import { createLocalUser, createTenant, grantRoles, tokenFor } from '../support/fixtures';
import { api, eml, mailOf, rulesWorld, targetsOf, type Person, type RulesWorld } from './rules-support';

/** The rule editor's department picker and the "sender's department" condition, through the API. */
describe('rules: sender department condition and the department directory', function () {
  this.timeout(120_000);
  let w: RulesWorld;
  let a: Person;
  let b: Person;
  let c: Person;
  let departments: { external_id: string; name: string; path: string[] }[];

  before(async () => {
    w = await rulesWorld('rulesdept', 24);
    departments = await w.app.ds.query(
      `SELECT external_id, name, path FROM departments WHERE tenant_id = $1 ORDER BY cardinality(path), external_id`,
      [w.tenantId],
    );
    // b sits in a department below the root; c in none of b's departments' subtrees
    const deep = w.people.filter((p) => p.departmentIds.some((d) => d !== '1'));
    b = deep[0]!;
    const bSubtrees = new Set(b.departmentIds);
    const outside = (p: Person) =>
      p.departmentIds.every(
        (d) => !departments.find((x) => x.external_id === d)?.path.some((id) => bSubtrees.has(id)),
      );
    c = w.people.find((p) => p !== b && outside(p))!;
    a = w.people.find((p) => p !== b && p !== c)!;
    expect([a, b, c].every(Boolean), 'sandbox has people in different departments').to.equal(true);
  });
  after(() => w.close());

  it('lists departments with their paths, finds them by name and by id, scoped to the tenant', async () => {
    const me = api(w.app, a.token);
    const all = (await me.get('/directory/departments?limit=200').expect(200)).body.departments;
    expect(all.length).to.equal(departments.length);
    expect(all[0].pathNames).to.have.length(1); // the root first
    const child = departments.find((d) => d.path.length >= 2)!;
    const hit = all.find((d: { externalId: string }) => d.externalId === child.external_id);
    expect(hit.pathNames).to.have.length(child.path.length);
    expect(hit.pathNames.at(-1)).to.equal(child.name);

    const byName = (await me.get(`/directory/departments?q=${encodeURIComponent(child.name)}`).expect(200))
      .body.departments;
    expect(byName.map((d: { externalId: string }) => d.externalId)).to.include(child.external_id);
    const byIds = (await me.get(`/directory/departments?ids=${child.external_id},nope`).expect(200)).body
      .departments;
    expect(byIds.map((d: { externalId: string }) => d.externalId)).to.deep.equal([child.external_id]);
    const none = (await me.get('/directory/departments?q=%25').expect(200)).body.departments;
    expect(none).to.deep.equal([]); // "%" is literal, not a wildcard

    // another organization sees none of these departments
    const otherTenant = await createTenant(w.app, 'rulesdeptother');
    const stranger = await createLocalUser(w.app, otherTenant.id, { roles: ['employee'] });
    const strangerToken = tokenFor(w.app, otherTenant.id, stranger.member.id, ['employee']);
    const theirs = await request(w.app.url)
      .get(`/api/v1/directory/departments?ids=${child.external_id}`)
      .set('authorization', `Bearer ${strangerToken}`)
      .expect(200);
    expect(theirs.body.departments).to.deep.equal([]);
  });

  it('refuses bad queries and anonymous callers', async () => {
    const me = api(w.app, a.token);
    expect((await me.get('/directory/departments?limit=0').expect(400)).body.error.code).to.equal(
      'validation_failed',
    );
    const many = Array.from({ length: 51 }, (_, i) => `d${i}`).join(',');
    await me.get(`/directory/departments?ids=${many}`).expect(400);
    await request(w.app.url).get('/api/v1/directory/departments').expect(401);
    // an auditor-only account has no business with the directory
    await grantRoles(w.app, w.tenantId, a.memberId, ['auditor', 'admin']);
    const auditor = tokenFor(w.app, w.tenantId, a.memberId, ['auditor']);
    await request(w.app.url)
      .get('/api/v1/directory/departments')
      .set('authorization', `Bearer ${auditor}`)
      .expect(403);
    // the console's rule editor (admins) may use it too
    const admin = tokenFor(w.app, w.tenantId, a.memberId, ['admin']);
    await request(w.app.url)
      .get('/api/v1/directory/departments?limit=1')
      .set('authorization', `Bearer ${admin}`)
      .expect(200);
  });

  it('saves a rule only for a department of the organization', async () => {
    const me = api(w.app, a.token);
    const bad = await me
      .post('/rules', {
        name: '未知部门',
        definition: {
          match: 'all',
          conditions: [{ field: 'sender_department', departmentId: 'no-such-dept' }],
          actions: [{ type: 'mark_read' }],
        },
      })
      .expect(400);
    expect(bad.body.error.code).to.equal('rules.department_unknown');
    expect(bad.body.error.details.issues[0].path).to.equal('body.definition.conditions.0.departmentId');
    const empty = await me.post('/rules', {
      name: 'x',
      definition: {
        match: 'all',
        conditions: [{ field: 'sender_department', departmentId: '' }],
        actions: [{ type: 'mark_read' }],
      },
    });
    expect(empty.status).to.equal(400);
  });

  it('files mail from a colleague in the department or below, not from others', async () => {
    const me = api(w.app, a.token);
    // the top-most department of b's first department chain below the root
    const chain = departments.find((d) => d.external_id === b.departmentIds.find((x) => x !== '1'))!.path;
    const dept = chain.length > 1 ? chain[1]! : chain[0]!;
    const rule = (
      await me
        .post('/rules', {
          name: '来自部门',
          definition: {
            match: 'all',
            conditions: [{ field: 'sender_department', departmentId: dept }],
            actions: [{ type: 'add_label', label: '部门来信' }],
          },
        })
        .expect(201)
    ).body;
    expect(rule.definition.conditions[0]).to.deep.equal({ field: 'sender_department', departmentId: dept });

    const deliver = async (from: string, subject: string) =>
      w.app.services.delivery.deliver({
        tenantId: w.tenantId,
        raw: eml({ From: from, To: a.email, Subject: subject }),
        targets: await targetsOf(w.app, a.email),
        source: 'local',
      });
    const fromB = await deliver(b.email, '部门同事来信');
    const fromC = await deliver(c.email, '其他部门来信');
    const fromOutside = await deliver('x@partner.example', '外部来信');
    const rows = await mailOf(w.app, w.tenantId, a.mailboxId);
    const label = (ids: string[]) => rows.find((r) => ids.includes(r.id))!.labels;
    expect(label(fromB.messageIds)).to.include('部门来信');
    expect(label(fromC.messageIds)).to.not.include('部门来信');
    expect(label(fromOutside.messageIds)).to.not.include('部门来信');

    // the live preview agrees
    const preview = (
      await me
        .post('/rules/preview', {
          definition: { match: 'all', conditions: [{ field: 'sender_department', departmentId: dept }] },
        })
        .expect(200)
    ).body;
    const subjects = preview.sample.map((m: { subject: string }) => m.subject);
    expect(subjects).to.include('部门同事来信');
    expect(subjects).to.not.include('其他部门来信');
  });
});
