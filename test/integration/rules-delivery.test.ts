import { expect } from 'chai';
import type { RuleAction, RuleCondition } from '../../shared/rules/rule';
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
import { grantRoles } from '../support/fixtures';

const enc = (s: string) => `=?UTF-8?B?${Buffer.from(s).toString('base64')}?=`;

describe('rules at delivery: every condition and action through the real pipeline', function () {
  this.timeout(120_000);
  let w: RulesWorld;
  let a: Person; // the rules' owner
  let b: Person; // an internal colleague (sender, forward target)
  let groupAddress: string;

  before(async () => {
    w = await rulesWorld('rulesdeliv');
    [a, b] = w.people.filter((p) => p.departmentIds.length > 0 && p.departmentIds[0] !== '1');
    const [g] = await w.app.ds.query(
      `SELECT a.local_part || '@' || d.name AS address FROM mail_groups g
         JOIN addresses a ON a.tenant_id = g.tenant_id AND a.group_id = g.id
         JOIN domains d ON d.tenant_id = a.tenant_id AND d.id = a.domain_id
        WHERE g.tenant_id = $1 AND g.department_external_id = $2`,
      [w.tenantId, a.departmentIds[0]],
    );
    groupAddress = g.address;
  });
  after(() => w.close());
  beforeEach(async () => {
    await w.app.ds.query(`DELETE FROM rules WHERE tenant_id = $1`, [w.tenantId]);
  });

  async function addRule(owner: Person, conditions: RuleCondition[], actions: RuleAction[], name = 'r') {
    const res = await api(w.app, owner.token)
      .post('/rules', { name, definition: { match: 'all', conditions, actions } })
      .expect(201);
    return res.body.id as string;
  }

  async function deliverTo(owner: Person, raw: Buffer, source: 'smtp' | 'local' = 'smtp') {
    const targets = await targetsOf(w.app, owner.email);
    return w.app.services.delivery.deliver({ tenantId: w.tenantId, raw, targets, source });
  }

  async function copyOf(owner: Person, messageIds: string[]) {
    const rows = await mailOf(w.app, w.tenantId, owner.mailboxId);
    return rows.find((r) => messageIds.includes(r.id));
  }

  it('matches each condition kind, and only when it should', async () => {
    const big = 'x'.repeat(6000);
    const multipart = [
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'see attached',
      '--b1',
      'Content-Type: application/pdf; name="报价.pdf"',
      'Content-Disposition: attachment; filename="quote.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('%PDF-1.4 fake').toString('base64'),
      '--b1--',
      '',
    ].join('\r\n');
    const table: {
      name: string;
      condition: RuleCondition;
      hit: Record<string, string>;
      miss: Record<string, string>;
      hitBody?: string;
      source?: 'local';
    }[] = [
      {
        name: 'from contains',
        condition: { field: 'from', operator: 'contains', value: 'boss' },
        hit: { From: `${enc('老板')} <boss@partner.example>` },
        miss: { From: 'clerk@partner.example' },
      },
      {
        name: 'from by display name (Chinese, full-width folded)',
        condition: { field: 'from', operator: 'contains', value: '老板' },
        hit: { From: `${enc('王老板')} <w@partner.example>` },
        miss: { From: `${enc('王经理')} <w@partner.example>` },
      },
      {
        name: 'to equals',
        condition: { field: 'to', operator: 'equals', value: 'team@partner.example' },
        hit: { To: 'team@partner.example' },
        miss: { To: 'team2@partner.example' },
      },
      {
        name: 'cc starts with',
        condition: { field: 'cc', operator: 'starts_with', value: 'legal@' },
        hit: { Cc: 'legal@partner.example' },
        miss: { Cc: 'paralegal@partner.example' },
      },
      {
        name: 'subject contains (Chinese)',
        condition: { field: 'subject', operator: 'contains', value: '发票' },
        hit: { Subject: enc('九月发票') },
        miss: { Subject: enc('九月合同') },
      },
      {
        name: 'subject does not contain',
        condition: { field: 'subject', operator: 'not_contains', value: 'newsletter' },
        hit: { Subject: 'hello' },
        miss: { Subject: 'Weekly newsletter' },
      },
      {
        name: 'subject matches regex',
        condition: { field: 'subject', operator: 'matches', value: '^\\[JIRA\\]\\s+\\w+-\\d+' },
        hit: { Subject: '[JIRA] OPS-42 updated' },
        miss: { Subject: 'Re: [JIRA] OPS-42 updated' },
      },
      {
        name: 'body contains',
        condition: { field: 'body', operator: 'contains', value: 'unsubscribe' },
        hit: {},
        hitBody: 'click here to Unsubscribe\r\n',
        miss: {},
      },
      {
        name: 'header the parser does not keep (X-Mailer)',
        condition: { field: 'header', name: 'X-Mailer', operator: 'contains', value: 'foxmail' },
        hit: { 'X-Mailer': 'Foxmail 7.2' },
        miss: { 'X-Mailer': 'Outlook 16' },
      },
      {
        name: 'kept header (List-Id)',
        condition: { field: 'header', name: 'List-Id', operator: 'contains', value: 'dev.partner' },
        hit: { 'List-Id': '<dev.partner.example>' },
        miss: { 'List-Id': '<ops.partner.example>' },
      },
      {
        name: 'has attachment',
        condition: { field: 'has_attachment', value: true },
        hit: { 'Content-Type': multipart.split('\r\n')[0]!.slice('Content-Type: '.length) },
        hitBody: multipart.split('\r\n').slice(2).join('\r\n'),
        miss: {},
      },
      {
        name: 'size larger than',
        condition: { field: 'size', operator: 'gt', bytes: 5000 },
        hit: {},
        hitBody: big,
        miss: {},
      },
      {
        name: 'importance high',
        condition: { field: 'importance', value: 'high' },
        hit: { Importance: 'high' },
        miss: { Importance: 'low' },
      },
    ];
    for (const [i, c] of table.entries()) {
      await addRule(a, [c.condition], [{ type: 'add_label', label: `c${i}` }], c.name);
    }
    for (const [i, c] of table.entries()) {
      const hit = await deliverTo(
        a,
        eml({ From: 'someone@partner.example', Subject: 'x', ...c.hit }, c.hitBody),
      );
      const miss = await deliverTo(a, eml({ From: 'someone@partner.example', Subject: 'x', ...c.miss }));
      const hitRow = await copyOf(a, hit.messageIds);
      const missRow = await copyOf(a, miss.messageIds);
      expect(hitRow?.labels, `${c.name}: should match`).to.include(`c${i}`);
      expect(missRow?.labels, `${c.name}: should not match`).to.not.include(`c${i}`);
    }
  });

  it('sender scope, sender department (with ancestors) and "sent to a group I am in"', async () => {
    await addRule(
      a,
      [{ field: 'sender_scope', value: 'internal' }],
      [{ type: 'add_label', label: 'internal' }],
    );
    await addRule(
      a,
      [{ field: 'sender_scope', value: 'external' }],
      [{ type: 'add_label', label: 'external' }],
    );
    await addRule(
      a,
      [{ field: 'sender_department', departmentId: b.departmentIds[0]! }],
      [{ type: 'add_label', label: 'dept' }],
    );
    await addRule(
      a,
      [{ field: 'sender_department', departmentId: '1' }],
      [{ type: 'add_label', label: 'root' }],
    );
    await addRule(a, [{ field: 'sent_to_my_group', value: true }], [{ type: 'add_label', label: 'group' }]);

    const fromB = await deliverTo(a, eml({ From: b.email, To: a.email, Subject: 'internal' }), 'local');
    const row1 = await copyOf(a, fromB.messageIds);
    expect(row1!.labels).to.include.members(['internal', 'dept', 'root']);
    expect(row1!.labels).to.not.include.members(['external', 'group']);

    const outside = await deliverTo(
      a,
      eml({ From: 'x@partner.example', To: groupAddress, Subject: 'to group' }),
    );
    const row2 = await copyOf(a, outside.messageIds);
    expect(row2!.labels).to.include.members(['external', 'group']);
    expect(row2!.labels).to.not.include.members(['internal', 'dept', 'root']);

    // A look-alike internal From that the spam checks flagged is not "internal".
    const spoofed = await w.app.services.delivery.deliver({
      tenantId: w.tenantId,
      raw: eml({ From: b.email, Subject: 'spoof' }),
      targets: await targetsOf(w.app, a.email),
      source: 'smtp',
      verdict: { spam: true, score: 9, reasons: ['dmarc_fail'] },
    });
    const row3 = await copyOf(a, spoofed.messageIds);
    expect(row3!.role).to.equal('junk');
    expect(row3!.labels).to.deep.equal([]);
  });

  it('applies move (custom folder and system role), read, important, delete', async () => {
    const folder = await createFolder(w.app, w.tenantId, a.mailboxId, '项目');
    await addRule(
      a,
      [{ field: 'subject', operator: 'contains', value: 'p1' }],
      [{ type: 'move_to_folder', folderId: folder }],
    );
    await addRule(
      a,
      [{ field: 'subject', operator: 'contains', value: 'p2' }],
      [
        { type: 'move_to_folder', folderId: 'role:archive' },
        { type: 'mark_read' },
        { type: 'mark_important' },
      ],
    );
    await addRule(a, [{ field: 'subject', operator: 'contains', value: 'p3' }], [{ type: 'delete' }]);
    await addRule(
      a,
      [{ field: 'subject', operator: 'contains', value: 'p4' }],
      [{ type: 'move_to_folder', folderId: 'name:项目' }],
    );

    const d1 = await deliverTo(a, eml({ From: 'x@partner.example', Subject: 'p1' }));
    const d2 = await deliverTo(a, eml({ From: 'x@partner.example', Subject: 'p2' }));
    const d3 = await deliverTo(a, eml({ From: 'x@partner.example', Subject: 'p3' }));
    const d4 = await deliverTo(a, eml({ From: 'x@partner.example', Subject: 'p4' }));
    expect((await copyOf(a, d1.messageIds))!.folder_id).to.equal(folder);
    const r2 = (await copyOf(a, d2.messageIds))!;
    expect(r2).to.include({ role: 'archive', is_seen: true, importance: 'high' });
    expect(d3.messageIds).to.deep.equal([]);
    expect((await copyOf(a, d4.messageIds))!.folder_id).to.equal(folder);
    await w.app.services.ruleStats.flush(); // counters are batched (at most once a second)
    const [{ n, last }] = await w.app.ds.query(
      `SELECT sum(match_count)::int AS n, max(last_matched_at) AS last FROM rules WHERE tenant_id = $1`,
      [w.tenantId],
    );
    expect(n).to.equal(4);
    expect(last).to.not.equal(null);
  });

  it('a message to a group reaches each member once, each with their own rules', async () => {
    await addRule(
      a,
      [{ field: 'subject', operator: 'contains', value: 'all-hands' }],
      [{ type: 'mark_read' }],
    );
    const targets = await targetsOf(w.app, groupAddress, a.email);
    const d = await w.app.services.delivery.deliver({
      tenantId: w.tenantId,
      raw: eml({ From: 'x@partner.example', To: groupAddress, Subject: 'all-hands' }),
      targets,
    });
    const rows: { mailbox_id: string; is_seen: boolean }[] = await w.app.ds.query(
      `SELECT mailbox_id, is_seen FROM messages WHERE tenant_id = $1 AND id = ANY ($2::uuid[])`,
      [w.tenantId, d.messageIds],
    );
    expect(rows.length).to.equal(new Set(targets.map((t) => t.mailboxId)).size);
    for (const r of rows) expect(r.is_seen).to.equal(r.mailbox_id === a.mailboxId);
  });

  it('organization rules run first, and stop ends evaluation', async () => {
    await grantRoles(w.app, w.tenantId, b.memberId, ['admin']);
    const admin = api(
      w.app,
      w.app.services.jwt.sign({ tenantId: w.tenantId, memberId: b.memberId, roles: ['admin'], scope: 'full' })
        .token,
    );
    await admin
      .post('/admin/rules', {
        name: '归档通知',
        departmentIds: ['1'],
        definition: {
          conditions: [{ field: 'subject', operator: 'contains', value: 'notice' }],
          actions: [
            { type: 'move_to_folder', folderId: 'role:archive' },
            { type: 'add_label', label: 'org' },
          ],
        },
      })
      .expect(201);
    const folder = await createFolder(w.app, w.tenantId, a.mailboxId, 'mine-' + Date.now());
    await addRule(
      a,
      [{ field: 'subject', operator: 'contains', value: 'notice' }],
      [
        { type: 'move_to_folder', folderId: folder },
        { type: 'add_label', label: 'personal' },
        { type: 'stop' },
      ],
    );
    await addRule(
      a,
      [{ field: 'subject', operator: 'contains', value: 'notice' }],
      [{ type: 'add_label', label: 'after-stop' }],
    );
    const d = await deliverTo(a, eml({ From: 'x@partner.example', Subject: 'notice' }));
    const row = (await copyOf(a, d.messageIds))!;
    expect(row.role).to.equal('archive'); // the admin's filing wins
    expect(row.labels).to.deep.equal(['org', 'personal']);

    // The employee sees the org rule, read-only, before their own.
    const list = await api(w.app, a.token).get('/rules').expect(200);
    expect(
      list.body.rules.map((r: { scope: string; readOnly: boolean }) => [r.scope, r.readOnly]),
    ).to.deep.equal([
      ['organization', true],
      ['personal', false],
      ['personal', false],
    ]);
  });

  it('a rule that fails (its folder was deleted) leaves the message in the Inbox and records the error', async () => {
    const folder = await createFolder(w.app, w.tenantId, a.mailboxId, 'temp-' + Date.now());
    const failing = await addRule(
      a,
      [{ field: 'subject', operator: 'contains', value: 'gone' }],
      [{ type: 'move_to_folder', folderId: folder }],
    );
    await addRule(
      a,
      [{ field: 'subject', operator: 'contains', value: 'gone' }],
      [{ type: 'add_label', label: 'still' }],
    );
    await w.app.ds.query(`DELETE FROM folders WHERE tenant_id = $1 AND id = $2`, [w.tenantId, folder]);
    const d = await deliverTo(a, eml({ From: 'x@partner.example', Subject: 'gone' }));
    const row = (await copyOf(a, d.messageIds))!;
    expect(row.role).to.equal('inbox');
    expect(row.labels).to.deep.equal(['still']);
    const [rule] = await w.app.ds.query(
      `SELECT last_error, last_error_at FROM rules WHERE tenant_id = $1 AND id = $2`,
      [w.tenantId, failing],
    );
    expect(rule.last_error).to.match(/no longer exists/);
    expect(rule.last_error_at).to.not.equal(null);
    const listed = await api(w.app, a.token).get('/rules').expect(200);
    expect(listed.body.rules.find((r: { id: string }) => r.id === failing).lastError).to.match(
      /no longer exists/,
    );
  });

  it('a stored rule the engine cannot run (bad stored regex) is skipped and recorded; delivery succeeds', async () => {
    const id = await addRule(
      a,
      [{ field: 'subject', operator: 'contains', value: 'zzz' }],
      [{ type: 'mark_read' }],
    );
    await w.app.ds.query(
      `UPDATE rules SET definition = jsonb_set(definition, '{conditions,0}', '{"field":"subject","operator":"matches","value":"(a+)+$"}')
        WHERE tenant_id = $1 AND id = $2`,
      [w.tenantId, id],
    );
    const d = await deliverTo(
      a,
      eml({ From: 'x@partner.example', Subject: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaa!' }),
    );
    expect((await copyOf(a, d.messageIds))!.role).to.equal('inbox');
    const [rule] = await w.app.ds.query(`SELECT last_error FROM rules WHERE tenant_id = $1 AND id = $2`, [
      w.tenantId,
      id,
    ]);
    expect(rule.last_error).to.match(/refused/);
  });

  it('forward and auto-reply leave through the outgoing path after commit; notify reaches DingTalk', async () => {
    const folder = await createFolder(w.app, w.tenantId, a.mailboxId, 'fwd-' + Date.now());
    await addRule(
      a,
      [{ field: 'subject', operator: 'contains', value: '转发我' }],
      [
        { type: 'forward', to: b.email },
        { type: 'move_to_folder', folderId: folder },
        { type: 'notify_dingtalk' },
      ],
    );
    await addRule(
      a,
      [{ field: 'subject', operator: 'contains', value: '请回复' }],
      [{ type: 'auto_reply', subject: '我在休假', body: '我下周回来。' }],
    );
    const beforeB = (await mailOf(w.app, w.tenantId, b.mailboxId)).length;
    await deliverTo(a, eml({ From: 'x@partner.example', Subject: enc('请转发我') }));
    await deliverTo(a, eml({ From: b.email, To: a.email, Subject: enc('请回复') }), 'local');
    const bMail = (await mailOf(w.app, w.tenantId, b.mailboxId)).slice(beforeB).map((m) => m.subject);
    expect(bMail).to.include('Fwd: 请转发我');
    expect(bMail).to.include('我在休假');
    const notices = w.emulator.notifications.inbox(a.externalId);
    expect(JSON.stringify(notices)).to.contain('请转发我');

    // An auto-reply is never answered (RFC 3834), and a forward is not forwarded again.
    const count = (await mailOf(w.app, w.tenantId, b.mailboxId)).length;
    await deliverTo(
      a,
      eml({ From: b.email, Subject: enc('请回复'), 'Auto-Submitted': 'auto-replied' }),
      'local',
    );
    await deliverTo(
      a,
      eml({ From: 'x@partner.example', Subject: enc('转发我'), 'Auto-Submitted': 'auto-forwarded' }),
    );
    expect((await mailOf(w.app, w.tenantId, b.mailboxId)).length).to.equal(count);
  });
});
