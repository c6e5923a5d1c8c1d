import { expect } from 'chai';
import fc from 'fast-check';
import type { Rule, RuleCondition } from '../../shared/rules/rule';
import { evaluateRules, type RuleMessage } from '../../server/modules/rules/rule-engine';
import { ALWAYS_CONDITION, exportSieve, importSieve } from '../../server/modules/rules/sieve';

const SCRIPT = `require ["fileinto", "vacation", "imap4flags", "envelope"];
# Mailing lists
# rule: 新闻通讯
if header :contains "List-Id" "newsletter" {
  fileinto "Newsletters";
  addflag "\\\\Seen";
  stop;
}
/* large mail goes
   to its own folder */
if size :over 10M {
  fileinto "Large";
}
if anyof (header :contains "subject" ["合同", "contract"], address :all :is "from" "boss@acme.cn") {
  addflag ["\\\\Flagged", "合同"];
}
if address :domain :is "from" "partner.com" { redirect "sales@acme.cn"; }
if exists "X-Spam-Flag" { discard; stop; }
if header :matches "subject" "[JIRA]*" { fileinto "Jira"; }
if header :matches "subject" "*发票*" { fileinto "Finance"; }
if not header :contains "from" "acme.cn" { addflag "external"; }
if envelope :is "from" "x@y.com" { discard; }
if header :contains "subject" "spam" { reject "no thanks"; fileinto "Junk"; }
if allof (size :under 1K, header :contains "subject" ["a", "b"]) { keep; }
setflag "\\\\Seen";
vacation :days 7 :subject "休假中" text:
我正在休假，8月1日返回。
..紧急事务请联系李四。
.
;
fileinto :copy "Archive";
`;

describe('sieve import', () => {
  const { rules, problems } = importSieve(SCRIPT);

  it('translates the supported tests and actions', () => {
    const summary = rules.map((r) => ({
      name: r.name,
      match: r.match,
      conditions: r.conditions,
      actions: r.actions,
    }));
    expect(summary[0]).to.deep.equal({
      name: '新闻通讯',
      match: 'all',
      conditions: [{ field: 'header', name: 'list-id', operator: 'contains', value: 'newsletter' }],
      actions: [
        { type: 'move_to_folder', folderId: 'name:Newsletters' },
        { type: 'mark_read' },
        { type: 'stop' },
      ],
    });
    expect(summary[1].conditions).to.deep.equal([{ field: 'size', operator: 'gt', bytes: 10 * 1024 * 1024 }]);
    expect(summary[2]).to.deep.include({ match: 'any' });
    expect(summary[2].conditions).to.deep.equal([
      { field: 'subject', operator: 'contains', value: '合同' },
      { field: 'subject', operator: 'contains', value: 'contract' },
      { field: 'from', operator: 'equals', value: 'boss@acme.cn' },
    ]);
    expect(summary[2].actions).to.deep.equal([
      { type: 'mark_important' },
      { type: 'add_label', label: '合同' },
    ]);
    expect(summary[3].conditions).to.deep.equal([
      { field: 'from', operator: 'matches', value: '@partner\\.com$' },
    ]);
    expect(summary[3].actions).to.deep.equal([{ type: 'forward', to: 'sales@acme.cn' }]);
    expect(summary[4].conditions).to.deep.equal([
      { field: 'header', name: 'x-spam-flag', operator: 'matches', value: '^' },
    ]);
    expect(summary[5].conditions).to.deep.equal([
      { field: 'subject', operator: 'starts_with', value: '[JIRA]' },
    ]);
    expect(summary[6].conditions).to.deep.equal([{ field: 'subject', operator: 'contains', value: '发票' }]);
    expect(summary[7].conditions).to.deep.equal([
      { field: 'header', name: 'from', operator: 'not_contains', value: 'acme.cn' },
    ]);
    // The reject line is dropped (and reported); the rest of that rule is kept.
    expect(summary[8]).to.deep.equal({
      name: 'Sieve rule (line 23)',
      match: 'all',
      conditions: [{ field: 'subject', operator: 'contains', value: 'spam' }],
      actions: [{ type: 'move_to_folder', folderId: 'name:Junk' }],
    });
    expect(summary[9]).to.deep.equal({
      name: 'Sieve rule (line 26)',
      match: 'all',
      conditions: [ALWAYS_CONDITION],
      actions: [
        { type: 'auto_reply', subject: '休假中', body: '我正在休假，8月1日返回。\n.紧急事务请联系李四。\n' },
      ],
    });
    expect(rules).to.have.length(10);
    expect(rules.every((r) => r.scope === 'personal' && r.enabled)).to.equal(true);
  });

  it('reports every unsupported part with its line', () => {
    expect(problems.map((p) => [p.line, p.reason])).to.deep.equal([
      [1, 'extension "envelope" is not supported'],
      [22, 'test "envelope" is not supported'],
      [23, 'command "reject" is not supported'],
      [24, 'allof mixing all-of and any-of cannot be one OrgMail rule'],
      [25, 'command "setflag" is not supported'],
      [26, "vacation :days 7 is replaced by OrgMail's once per sender per 4 days"],
      // Dropped from the top-level rule that also holds the vacation action.
      [31, 'fileinto :copy is not supported'],
    ]);
    expect(problems[1].text).to.equal('if envelope :is "from" "x@y.com" { discard; }');
  });

  it('turns elsif/else into rules guarded by the negated earlier tests', () => {
    const script = `require "fileinto";
if header :contains "subject" "a" { fileinto "A"; }
elsif header :contains "subject" "b" { fileinto "B"; }
else { fileinto "C"; }`;
    const result = importSieve(script);
    expect(result.problems).to.deep.equal([]);
    expect(result.rules.map((r) => r.conditions)).to.deep.equal([
      [{ field: 'subject', operator: 'contains', value: 'a' }],
      [
        { field: 'subject', operator: 'not_contains', value: 'a' },
        { field: 'subject', operator: 'contains', value: 'b' },
      ],
      [
        { field: 'subject', operator: 'not_contains', value: 'a' },
        { field: 'subject', operator: 'not_contains', value: 'b' },
      ],
    ]);
    const msg = (subject: string): RuleMessage => ({
      from: null,
      to: [],
      cc: [],
      subject,
      text: '',
      headers: {},
      hasAttachments: false,
      size: 1,
      importance: 'normal',
    });
    const ctx = { isInternalSender: false, senderDepartmentPaths: [], myGroupAddresses: [] };
    const folder = (s: string) => evaluateRules(msg(s), result.rules, ctx).actions;
    expect(folder('a and b')).to.deep.equal([{ type: 'move_to_folder', folderId: 'name:A' }]);
    expect(folder('only b')).to.deep.equal([{ type: 'move_to_folder', folderId: 'name:B' }]);
    expect(folder('neither')).to.deep.equal([{ type: 'move_to_folder', folderId: 'name:C' }]);
  });

  it('reports an elsif it cannot guard, and a syntax error, keeping what came before', () => {
    const script = `if header :is "subject" "x" { discard; }
elsif size :over 1M { discard; }
if size :under 5 { discard; }
if header :contains "subject" "y" { discard;
`;
    const result = importSieve(script);
    expect(result.rules.map((r) => r.conditions[0])).to.deep.equal([
      { field: 'subject', operator: 'equals', value: 'x' },
      { field: 'size', operator: 'lt', bytes: 5 },
    ]);
    expect(result.problems.map((p) => p.line)).to.deep.equal([2, 4]);
    expect(result.problems[0].reason).to.match(/cannot be negated/);
    expect(result.problems[1].reason).to.match(/^syntax error/);
  });

  it('refuses runaway patterns coming from :regex', () => {
    const result = importSieve('require "regex";\nif header :regex "subject" "(a+)+$" { discard; }');
    expect(result.rules).to.deep.equal([]);
    expect(result.problems[0]).to.deep.include({ line: 2 });
    expect(result.problems[0].reason).to.match(/pattern refused/);
  });
});

const strip = (rules: Rule[]) =>
  rules.map(({ name, enabled, match, conditions, actions }) => ({
    name,
    enabled,
    match,
    conditions,
    actions,
  }));

function r(id: string, order: number, conditions: RuleCondition[], extra: Partial<Rule> = {}): Rule {
  return {
    id,
    name: `规则 ${id}`,
    enabled: true,
    scope: 'personal',
    order,
    match: 'all',
    conditions,
    actions: [{ type: 'mark_read' }],
    ...extra,
  };
}

describe('sieve export and round trip', () => {
  const exportable: Rule[] = [
    r('1', 1, [
      { field: 'subject', operator: 'contains', value: 'say "hi" \\ ok' },
      { field: 'from', operator: 'not_contains', value: 'spam' },
      { field: 'to', operator: 'equals', value: 'me@acme.cn' },
      { field: 'cc', operator: 'starts_with', value: 'a*b?' },
      { field: 'body', operator: 'matches', value: '合同|发票' },
      { field: 'header', name: 'x-mailer', operator: 'contains', value: 'Foxmail' },
      { field: 'header', name: 'x-spam', operator: 'matches', value: '^' },
      { field: 'size', operator: 'gt', bytes: 2048 },
      { field: 'size', operator: 'lt', bytes: 10 * 1024 * 1024 },
    ]),
    r(
      '2',
      2,
      [
        { field: 'subject', operator: 'contains', value: 'x' },
        { field: 'subject', operator: 'contains', value: 'y' },
      ],
      {
        match: 'any',
        enabled: false,
        actions: [
          { type: 'move_to_folder', folderId: 'name:客户/重要' },
          { type: 'add_label', label: 'vip' },
          { type: 'mark_important' },
          { type: 'notify_dingtalk' },
          { type: 'forward', to: 'boss@acme.cn' },
          { type: 'auto_reply', subject: '休假', body: '多行\n正文' },
          { type: 'delete' },
          { type: 'stop' },
        ],
      },
    ),
    r('3', 3, [ALWAYS_CONDITION], { actions: [{ type: 'auto_reply', body: 'ok' }] }),
  ];

  it('writes the needed requires and a readable script', () => {
    const script = exportSieve(exportable);
    expect(script).to.contain('require ["body", "fileinto", "imap4flags", "regex", "vacation"];');
    expect(script).to.contain(
      'if allof(false, anyof(header :contains "subject" "x", header :contains "subject" "y")) {',
    );
    expect(script).to.contain('address :all :matches "cc" "a\\\\*b\\\\?*"');
    expect(script).to.contain('  # orgmail: notify_dingtalk');
  });

  it('round-trips: export then import gives equivalent rules', () => {
    const back = importSieve(exportSieve(exportable));
    expect(back.problems).to.deep.equal([]);
    expect(strip(back.rules)).to.deep.equal(strip(exportable));
  });

  it('writes rules with conditions Sieve cannot express as comments, not as weaker tests', () => {
    const rule = r(
      '4',
      4,
      [
        { field: 'has_attachment', value: true },
        { field: 'subject', operator: 'contains', value: 'x' },
      ],
      {
        actions: [{ type: 'delete' }],
      },
    );
    const script = exportSieve([rule]);
    expect(script).to.contain('# not exported: "Has attachment" has no Sieve equivalent');
    expect(script).not.to.contain('discard');
    expect(importSieve(script).rules).to.deep.equal([]);
  });

  it('round-trips arbitrary exportable text rules (property)', () => {
    const text = fc.record({
      field: fc.constantFrom('from', 'to', 'cc', 'subject', 'body'),
      operator: fc.constantFrom('contains', 'not_contains', 'equals', 'starts_with'),
      value: fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() === s && !s.includes('\n')),
    }) as fc.Arbitrary<RuleCondition>;
    fc.assert(
      fc.property(
        fc.array(text, { minLength: 1, maxLength: 5 }),
        fc.constantFrom<'all' | 'any'>('all', 'any'),
        (conditions, match) => {
          const rule = r('p', 0, conditions, { match: conditions.length === 1 ? 'all' : match });
          const back = importSieve(exportSieve([rule]));
          expect(back.problems).to.deep.equal([]);
          expect(strip(back.rules)).to.deep.equal(strip([rule]));
        },
      ),
      { numRuns: 200 },
    );
  });
});
