import { expect } from 'chai';
import { createTenant, createLocalUser, grantRoles, tokenFor } from '../support/fixtures';
import {
  api,
  createFolder,
  eml,
  mailOf,
  rulesWorld,
  targetsOf,
  type Person,
  type RulesWorld,
} from './rules-support';

const definition = (value = 'invoice') => ({
  match: 'all',
  conditions: [{ field: 'subject', operator: 'contains', value }],
  actions: [{ type: 'add_label', label: 'finance' }],
});

describe('rules API: storage, validation, tenancy, Sieve, preview and apply', function () {
  this.timeout(120_000);
  let w: RulesWorld;
  let a: Person;
  let b: Person;
  let adminToken: string;

  before(async () => {
    w = await rulesWorld('rulesapi');
    [a, b] = w.people;
    await grantRoles(w.app, w.tenantId, w.people[2]!.memberId, ['admin']);
    adminToken = w.app.services.jwt.sign({
      tenantId: w.tenantId,
      memberId: w.people[2]!.memberId,
      roles: ['admin'],
      scope: 'full',
    }).token;
  });
  after(() => w.close());

  it('creates, lists, replaces, disables, reorders and deletes personal rules', async () => {
    const me = api(w.app, a.token);
    const r1 = (await me.post('/rules', { name: '财务', definition: definition() }).expect(201)).body;
    expect(r1).to.include({ name: '财务', enabled: true, scope: 'personal', readOnly: false, position: 0 });
    const r2 = (await me.post('/rules', { name: 'two', definition: definition('b') }).expect(201)).body;
    expect(r2.position).to.equal(1);

    const replaced = (
      await me.put(`/rules/${r1.id}`, { name: '财务 v2', definition: definition('发票') }).expect(200)
    ).body;
    expect(replaced.definition.conditions[0].value).to.equal('发票');
    expect((await me.patch(`/rules/${r2.id}`, { enabled: false }).expect(200)).body.enabled).to.equal(false);

    const reordered = (await me.post('/rules/reorder', { ids: [r2.id, r1.id] }).expect(200)).body.rules;
    expect(reordered.map((r: { id: string }) => r.id)).to.deep.equal([r2.id, r1.id]);
    const partial = await me.post('/rules/reorder', { ids: [r2.id] }).expect(400);
    expect(partial.body.error.code).to.equal('validation_failed');

    await me.delete(`/rules/${r2.id}`).expect(204);
    await me.delete(`/rules/${r2.id}`).expect(404);
    const list = (await me.get('/rules').expect(200)).body.rules;
    expect(list.map((r: { id: string }) => r.id)).to.deep.equal([r1.id]);
  });

  it('refuses a runaway regular expression at save time with 400 and details', async () => {
    const res = await api(w.app, a.token)
      .post('/rules', {
        name: 'bad',
        definition: {
          conditions: [{ field: 'subject', operator: 'matches', value: '(a+)+$' }],
          actions: [{ type: 'mark_read' }],
        },
      })
      .expect(400);
    expect(res.body.error.code).to.equal('validation_failed');
    const issue = res.body.error.details.issues[0];
    expect(issue.path).to.equal('body.definition.conditions.0.value');
    expect(issue.message).to.match(/Regular expression refused/);
  });

  it('answers bad input with the error envelope', async () => {
    const me = api(w.app, a.token);
    const cases: [object, RegExp][] = [
      [{ definition: definition() }, /body\.name/],
      [{ name: 'x', definition: { conditions: [], actions: [{ type: 'mark_read' }] } }, /conditions/],
      [
        {
          name: 'x',
          definition: { conditions: [{ field: 'nope', value: 1 }], actions: [{ type: 'mark_read' }] },
        },
        /field/,
      ],
      [
        { name: 'x', definition: { ...definition(), actions: [{ type: 'forward', to: 'not an address' }] } },
        /email/,
      ],
    ];
    for (const [body, path] of cases) {
      const res = await me.post('/rules', body).expect(400);
      expect(res.body.error.code).to.equal('validation_failed');
      expect(res.body.error.message).to.match(path);
      expect(res.body.error.requestId).to.be.a('string');
    }
    // A folder id that is not one of mine.
    const theirs = await createFolder(w.app, w.tenantId, b.mailboxId, 'theirs');
    const folder = await me
      .post('/rules', {
        name: 'x',
        definition: { ...definition(), actions: [{ type: 'move_to_folder', folderId: theirs }] },
      })
      .expect(400);
    expect(folder.body.error.code).to.equal('rules.folder_unknown');
    await me.put('/rules/not-a-uuid', { name: 'x', definition: definition() }).expect(400);
    await me.post('/rules/reorder', { ids: 'nope' }).expect(400);
  });

  it("another employee's or another tenant's rule ids answer 404", async () => {
    const mine = (
      await api(w.app, a.token).post('/rules', { name: 'private', definition: definition() }).expect(201)
    ).body.id;
    const colleague = api(w.app, b.token);
    await colleague.put(`/rules/${mine}`, { name: 'x', definition: definition() }).expect(404);
    await colleague.patch(`/rules/${mine}`, { enabled: false }).expect(404);
    await colleague.delete(`/rules/${mine}`).expect(404);
    await colleague.post(`/rules/${mine}/apply`, {}).expect(404);
    expect(
      (await colleague.get('/rules').expect(200)).body.rules.map((r: { id: string }) => r.id),
    ).to.not.include(mine);

    const other = await createTenant(w.app, 'rulesapi-other');
    const stranger = await createLocalUser(w.app, other.id, { roles: ['admin', 'employee'] });
    const strangerApi = api(w.app, tokenFor(w.app, other.id, stranger.member.id, ['admin', 'employee']));
    await strangerApi.delete(`/rules/${mine}`).expect(404); // no mailbox there, and not theirs anyway
    await strangerApi
      .put(`/admin/rules/${mine}`, { name: 'x', departmentIds: ['1'], definition: definition() })
      .expect(404);
    await strangerApi.delete(`/admin/rules/${mine}`).expect(404);
  });

  it('organization rules: admin only, departments checked, audited', async () => {
    const admin = api(w.app, adminToken);
    await api(w.app, a.token).get('/admin/rules').expect(403);
    const unknown = await admin
      .post('/admin/rules', { name: 'x', departmentIds: ['no-such-dept'], definition: definition() })
      .expect(400);
    expect(unknown.body.error.details.unknown).to.deep.equal(['no-such-dept']);
    const byId = await admin
      .post('/admin/rules', {
        name: 'x',
        departmentIds: ['1'],
        definition: {
          ...definition(),
          actions: [{ type: 'move_to_folder', folderId: '00000000-0000-4000-8000-000000000000' }],
        },
      })
      .expect(400);
    expect(byId.body.error.code).to.equal('rules.folder_unknown');
    const created = (
      await admin
        .post('/admin/rules', { name: '全员', departmentIds: ['1'], definition: definition('org') })
        .expect(201)
    ).body;
    expect(created).to.include({ scope: 'organization' });
    expect(created.departmentIds).to.deep.equal(['1']);
    await admin.patch(`/admin/rules/${created.id}`, { enabled: false }).expect(200);
    // Employees cannot touch it through their endpoints.
    await api(w.app, a.token).delete(`/rules/${created.id}`).expect(404);
    await admin.delete(`/admin/rules/${created.id}`).expect(204);
    const audit: { action: string }[] = await w.app.ds.query(
      `SELECT action FROM audit_log WHERE tenant_id = $1 AND target_id = $2 ORDER BY created_at, action`,
      [w.tenantId, created.id],
    );
    expect(audit.map((x) => x.action).sort()).to.deep.equal([
      'rules.org.create',
      'rules.org.delete',
      'rules.org.disable',
    ]);
  });

  it('imports Sieve with a line-by-line report (dry run creates nothing) and exports it back', async () => {
    const me = api(w.app, b.token);
    await createFolder(w.app, w.tenantId, b.mailboxId, 'Lists');
    const script = [
      'require ["fileinto", "imap4flags", "enotify"];',
      'if header :contains "List-Id" "dev.example" {',
      '  fileinto "Lists";',
      '  stop;',
      '}',
      'if address :is "from" "boss@example.com" { addflag "\\\\Seen"; }',
      'if header :contains "subject" "x" { notify "mailto:a@b.c"; }',
      '',
    ].join('\n');
    const dry = (await me.post('/rules/sieve', { script, dryRun: true }).expect(200)).body;
    expect(dry.dryRun).to.equal(true);
    expect(dry.rules.length).to.equal(2);
    expect(dry.problems.map((p: { line: number }) => p.line)).to.include.members([1, 7]);
    expect(
      (await me.get('/rules').expect(200)).body.rules.filter(
        (r: { scope: string }) => r.scope === 'personal',
      ),
    ).to.have.length(0);

    const done = (await me.post('/rules/sieve', { script }).expect(200)).body;
    expect(done.rules.length).to.equal(2);
    const listed = (await me.get('/rules').expect(200)).body.rules.filter(
      (r: { scope: string }) => r.scope === 'personal',
    );
    expect(listed).to.have.length(2);
    const lists = (
      await w.app.ds.query(
        `SELECT id FROM folders WHERE tenant_id = $1 AND mailbox_id = $2 AND name = 'Lists'`,
        [w.tenantId, b.mailboxId],
      )
    )[0].id;
    expect(listed[0].definition.actions[0]).to.deep.equal({ type: 'move_to_folder', folderId: lists });

    const exported = (await me.get('/rules/sieve').expect(200)).body;
    expect(exported.rules).to.equal(2);
    expect(exported.script).to.contain('fileinto "Lists"');
    // Round trip: the exported script imports to the same definitions, with nothing reported.
    const again = (await me.post('/rules/sieve', { script: exported.script, dryRun: true }).expect(200)).body;
    expect(again.problems).to.deep.equal([]);
    expect(again.rules.map((r: { definition: unknown }) => r.definition)).to.deep.equal(
      listed.map((r: { definition: unknown }) => r.definition),
    );
    const broken = (
      await me.post('/rules/sieve', { script: 'if header :contains "a" {', dryRun: true }).expect(200)
    ).body;
    expect(broken.problems[0].reason).to.match(/syntax/);
  });

  it('previews a rule over my last 30 days: count and newest 20', async () => {
    const c = w.people[3]!;
    const targets = await targetsOf(w.app, c.email);
    for (let i = 0; i < 25; i++) {
      await w.app.services.delivery.deliver({
        tenantId: w.tenantId,
        raw: eml(
          { From: 'shop@partner.example', Subject: i % 2 === 0 ? `订单 ${i}` : `other ${i}` },
          i === 3 ? 'secret word\r\n' : 'x\r\n',
        ),
        targets,
        receivedAt: new Date(w.app.clock.now().getTime() - (25 - i) * 60_000),
      });
    }
    // Older than 30 days: not examined.
    await w.app.services.delivery.deliver({
      tenantId: w.tenantId,
      raw: eml({ From: 'shop@partner.example', Subject: '订单 old' }),
      targets,
      receivedAt: new Date(w.app.clock.now().getTime() - 40 * 86_400_000),
    });
    const me = api(w.app, c.token);
    const p = (
      await me
        .post('/rules/preview', {
          definition: { conditions: [{ field: 'subject', operator: 'contains', value: '订单' }] },
        })
        .expect(200)
    ).body;
    expect(p).to.include({ count: 13, examined: 25, capped: false, days: 30 });
    expect(p.sample).to.have.length(13);
    expect(p.sample[0].subject).to.equal('订单 24');
    const body = (
      await me
        .post('/rules/preview', {
          definition: { conditions: [{ field: 'body', operator: 'contains', value: 'secret' }] },
        })
        .expect(200)
    ).body;
    expect(body.count).to.equal(1);
    await me
      .post('/rules/preview', {
        definition: { conditions: [{ field: 'body', operator: 'matches', value: '(x+)+y' }] },
      })
      .expect(400);
  });

  it('applies a rule to existing mail in the background, with progress visible to its owner only', async () => {
    const c = w.people[3]!;
    const me = api(w.app, c.token);
    const rule = (
      await me
        .post('/rules', {
          name: '订单',
          definition: {
            conditions: [{ field: 'subject', operator: 'contains', value: '订单' }],
            actions: [
              { type: 'move_to_folder', folderId: 'role:archive' },
              { type: 'add_label', label: '订单' },
              { type: 'mark_read' },
              { type: 'forward', to: a.email },
            ],
          },
        })
        .expect(201)
    ).body;
    const started = (await me.post(`/rules/${rule.id}/apply`, {}).expect(202)).body;
    expect(started.applies).to.include.members(['move_to_folder', 'add_label', 'mark_read']);
    expect(started.skipped).to.deep.equal(['forward']);
    await w.app.services.applyRules.idle();
    const run = (await me.get(`/jobs/${started.runId}`).expect(200)).body;
    expect(run).to.include({ job: 'rules.apply', status: 'succeeded', progressDone: 26, progressTotal: 26 });
    expect(run.summary).to.include({ matched: 14, examined: 26 });
    const mail = await mailOf(w.app, w.tenantId, c.mailboxId);
    const orders = mail.filter((m) => m.subject.startsWith('订单'));
    expect(orders).to.have.length(14);
    for (const m of orders) expect(m).to.deep.include({ role: 'archive', is_seen: true, labels: ['订单'] });
    for (const m of mail.filter((x) => !x.subject.startsWith('订单'))) expect(m.role).to.equal('inbox');
    const [{ match_count }] = await w.app.ds.query(
      `SELECT match_count FROM rules WHERE tenant_id = $1 AND id = $2`,
      [w.tenantId, rule.id],
    );
    expect(Number(match_count)).to.equal(14);

    await api(w.app, a.token).get(`/jobs/${started.runId}`).expect(404);
    await api(w.app, adminToken).get(`/jobs/${started.runId}`).expect(200);
    await me
      .post(`/rules/${rule.id}/apply`, { folderId: '00000000-0000-4000-8000-000000000000' })
      .expect(404);
  });
});
