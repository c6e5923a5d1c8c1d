import { expect } from 'chai';
import fc from 'fast-check';
import { REGEX_INPUT_LIMIT, type Rule, type RuleAction, type RuleCondition } from '../../shared/rules/rule';
import { compilePattern, MAX_BODY_CHARS, normalizeText } from '../../server/modules/rules/rule-conditions';
import { evaluateRules, type RuleContext, type RuleMessage } from '../../server/modules/rules/rule-engine';

function message(overrides: Partial<RuleMessage> = {}): RuleMessage {
  return {
    from: { address: 'zhang.san@acme.cn', name: '张三' },
    to: [{ address: 'li.si@acme.cn', name: '李四' }, { address: 'sales@acme.cn' }],
    cc: [{ address: 'wang@partner.com', name: 'Wang Wu' }],
    subject: '关于采购合同的确认 Re: Q3 Budget',
    text: 'Hello, 请查收附件中的合同。Invoice #12345',
    headers: { 'x-mailer': ['Foxmail 7.2'], 'list-id': ['<dev.acme.cn>'] },
    hasAttachments: true,
    size: 250_000,
    importance: 'high',
    ...overrides,
  };
}

const context: RuleContext = {
  isInternalSender: true,
  senderDepartmentPaths: [['root', 'sales', 'sales-east']],
  myGroupAddresses: ['SALES@acme.cn'],
};

const ALWAYS: RuleCondition = { field: 'has_attachment', value: true };

function rule(
  id: string,
  conditions: RuleCondition[],
  actions: RuleAction[],
  extra: Partial<Rule> = {},
): Rule {
  return {
    id,
    name: id,
    enabled: true,
    scope: 'personal',
    order: 0,
    match: 'all',
    conditions,
    actions,
    ...extra,
  };
}

const text = (field: 'from' | 'to' | 'cc' | 'subject' | 'body', operator: string, value: string) =>
  ({ field, operator, value }) as RuleCondition;
const header = (name: string, operator: string, value: string) =>
  ({ field: 'header', name, operator, value }) as RuleCondition;

const TABLE: [RuleCondition, boolean][] = [
  [text('from', 'contains', '张三'), true],
  [text('from', 'contains', 'ACME'), true],
  [text('from', 'contains', 'nobody'), false],
  [text('from', 'not_contains', 'nobody'), true],
  [text('from', 'not_contains', 'acme'), false],
  [text('from', 'equals', 'ZHANG.SAN@ACME.CN'), true],
  [text('from', 'equals', 'zhang'), false],
  [text('from', 'starts_with', 'zhang.'), true],
  [text('from', 'starts_with', 'acme'), false],
  [text('from', 'matches', '@acme\\.cn$'), true],
  [text('from', 'matches', '^li'), false],
  [text('to', 'contains', 'li.si'), true],
  [text('to', 'contains', 'zhang'), false],
  [text('to', 'not_contains', 'sales'), false],
  [text('to', 'not_contains', 'partner'), true],
  [text('to', 'equals', 'SALES@acme.cn'), true],
  [text('to', 'equals', 'sales'), false],
  [text('to', 'starts_with', '李'), true],
  [text('to', 'starts_with', '四'), false],
  [text('to', 'matches', '^sales@'), true],
  [text('to', 'matches', '^hr@'), false],
  [text('cc', 'contains', 'partner'), true],
  [text('cc', 'contains', 'acme'), false],
  [text('cc', 'not_contains', 'acme'), true],
  [text('cc', 'not_contains', 'wang'), false],
  [text('cc', 'equals', 'wang wu'), true],
  [text('cc', 'equals', 'wang'), false],
  [text('cc', 'starts_with', 'wang@'), true],
  [text('cc', 'starts_with', 'partner'), false],
  [text('cc', 'matches', 'partner\\.com$'), true],
  [text('cc', 'matches', '^x'), false],
  [text('subject', 'contains', '合同'), true],
  [text('subject', 'contains', 'q3 BUDGET'), true],
  [text('subject', 'contains', '发票'), false],
  [text('subject', 'not_contains', '发票'), true],
  [text('subject', 'not_contains', '采购'), false],
  [text('subject', 'equals', '关于采购合同的确认 re: q3 budget'), true],
  [text('subject', 'equals', '关于采购合同'), false],
  [text('subject', 'starts_with', '关于'), true],
  [text('subject', 'starts_with', '采购'), false],
  [text('subject', 'matches', 'Q[0-9]\\s+budget'), true],
  [text('subject', 'matches', '^Re:'), false],
  [text('body', 'contains', 'INVOICE'), true],
  [text('body', 'contains', '报价'), false],
  [text('body', 'not_contains', '报价'), true],
  [text('body', 'not_contains', '合同'), false],
  [text('body', 'equals', 'hello, 请查收附件中的合同。invoice #12345'), true],
  [text('body', 'equals', 'hello'), false],
  [text('body', 'starts_with', 'hello'), true],
  [text('body', 'starts_with', 'invoice'), false],
  [text('body', 'matches', '#\\d{5}'), true],
  [text('body', 'matches', '#\\d{6}'), false],
  [header('x-mailer', 'contains', 'foxmail'), true],
  [header('x-mailer', 'contains', 'outlook'), false],
  [header('x-mailer', 'not_contains', 'outlook'), true],
  [header('x-mailer', 'not_contains', 'fox'), false],
  [header('X-Mailer', 'equals', 'FOXMAIL 7.2'), true],
  [header('x-mailer', 'equals', 'foxmail'), false],
  [header('x-mailer', 'starts_with', 'fox'), true],
  [header('x-mailer', 'starts_with', 'mail'), false],
  [header('x-mailer', 'matches', '^foxmail\\s+7'), true],
  [header('x-mailer', 'matches', '^outlook'), false],
  [header('x-spam', 'contains', 'yes'), false],
  [header('x-spam', 'not_contains', 'yes'), true],
  [{ field: 'has_attachment', value: true }, true],
  [{ field: 'has_attachment', value: false }, false],
  [{ field: 'size', operator: 'gt', bytes: 100_000 }, true],
  [{ field: 'size', operator: 'gt', bytes: 300_000 }, false],
  [{ field: 'size', operator: 'lt', bytes: 300_000 }, true],
  [{ field: 'size', operator: 'lt', bytes: 1_000 }, false],
  [{ field: 'sender_scope', value: 'internal' }, true],
  [{ field: 'sender_scope', value: 'external' }, false],
  [{ field: 'sender_department', departmentId: 'sales' }, true],
  [{ field: 'sender_department', departmentId: 'sales-east' }, true],
  [{ field: 'sender_department', departmentId: 'hr' }, false],
  [{ field: 'sent_to_my_group', value: true }, true],
  [{ field: 'sent_to_my_group', value: false }, false],
  [{ field: 'importance', value: 'high' }, true],
  [{ field: 'importance', value: 'low' }, false],
];

describe('rule engine: conditions', () => {
  for (const [condition, expected] of TABLE) {
    it(`${JSON.stringify(condition)} → ${expected}`, () => {
      const result = evaluateRules(message(), [rule('r', [condition], [{ type: 'mark_read' }])], context);
      expect(result.errors).to.deep.equal([]);
      expect(result.matchedRuleIds).to.deep.equal(expected ? ['r'] : []);
    });
  }

  it('folds full-width forms (ＡＢＣ matches abc)', () => {
    const r = rule('r', [text('subject', 'contains', 'abc报价')], [{ type: 'mark_read' }]);
    expect(
      evaluateRules(message({ subject: '关于ＡＢＣ报价单' }), [r], context).matchedRuleIds,
    ).to.deep.equal(['r']);
  });

  it('combines conditions with all-of and any-of', () => {
    const yes = text('subject', 'contains', '合同');
    const no = text('subject', 'contains', '发票');
    const rules = [
      rule('all', [yes, no], [{ type: 'mark_read' }], { match: 'all' }),
      rule('any', [yes, no], [{ type: 'mark_read' }], { match: 'any', order: 1 }),
    ];
    expect(evaluateRules(message(), rules, context).matchedRuleIds).to.deep.equal(['any']);
  });

  it('reads only the first MAX_BODY_CHARS of the body', () => {
    const r = rule('r', [text('body', 'contains', 'needle')], [{ type: 'mark_read' }]);
    const long = 'x'.repeat(MAX_BODY_CHARS) + 'needle';
    expect(evaluateRules(message({ text: long }), [r], context).matchedRuleIds).to.deep.equal([]);
  });

  it('its NFKC fast path agrees with full NFKC', () => {
    const chars = fc.constantFrom(...'aZ9 ，。、〶〸ＡＢ１㈱合同采购\u3000\u302a\u302b\u0301é¥'.split(''));
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 12 }), (parts) => {
        const s = parts.join('');
        expect(normalizeText(s)).to.equal(s.normalize('NFKC').toLowerCase());
      }),
    );
  });

  it('gives a regular expression only the first REGEX_INPUT_LIMIT characters of a field', () => {
    const long = 'x'.repeat(REGEX_INPUT_LIMIT) + 'needle';
    const rules = [
      rule('regex', [text('body', 'matches', 'needle')], [{ type: 'mark_read' }], { order: 1 }),
      rule('plain', [text('body', 'contains', 'needle')], [{ type: 'mark_read' }], { order: 2 }),
    ];
    expect(evaluateRules(message({ text: long }), rules, context).matchedRuleIds).to.deep.equal(['plain']);
  });

  it('compiles a pattern once', () => {
    expect(compilePattern('^a.c$')).to.equal(compilePattern('^a.c$'));
  });
});

const EVERY_ACTION: RuleAction[] = [
  { type: 'move_to_folder', folderId: 'f-1' },
  { type: 'add_label', label: '客户' },
  { type: 'mark_read' },
  { type: 'mark_important' },
  { type: 'forward', to: 'boss@acme.cn' },
  { type: 'auto_reply', subject: '自动回复', body: '我正在休假' },
  { type: 'delete' },
  { type: 'notify_dingtalk' },
];

describe('rule engine: actions and ordering', () => {
  for (const action of EVERY_ACTION) {
    it(`returns ${action.type}`, () => {
      const result = evaluateRules(message(), [rule('r', [ALWAYS], [action])], context);
      expect(result.actions).to.deep.equal([action]);
    });
  }

  it('treats stop as control flow: later rules do not run, stop is not returned', () => {
    const rules = [
      rule('a', [ALWAYS], [{ type: 'mark_read' }, { type: 'stop' }], { order: 1 }),
      rule('b', [ALWAYS], [{ type: 'delete' }], { order: 2 }),
    ];
    const result = evaluateRules(message(), rules, context);
    expect(result.matchedRuleIds).to.deep.equal(['a']);
    expect(result.actions).to.deep.equal([{ type: 'mark_read' }]);
  });

  it('runs organization rules before personal ones, then by order', () => {
    const rules = [
      rule('p2', [ALWAYS], [{ type: 'move_to_folder', folderId: 'p2' }], { order: 2 }),
      rule('p1', [ALWAYS], [{ type: 'move_to_folder', folderId: 'p1' }], { order: 1 }),
      rule('org', [ALWAYS], [{ type: 'move_to_folder', folderId: 'org' }], {
        order: 9,
        scope: 'organization',
      }),
    ];
    const result = evaluateRules(message(), rules, context);
    expect(result.matchedRuleIds).to.deep.equal(['org', 'p1', 'p2']);
    // The first move wins, so the organization's filing is kept.
    expect(result.actions).to.deep.equal([{ type: 'move_to_folder', folderId: 'org' }]);
  });

  it('an organization stop prevents personal rules', () => {
    const rules = [
      rule('p', [ALWAYS], [{ type: 'forward', to: 'x@gmail.com' }]),
      rule('org', [ALWAYS], [{ type: 'stop' }], { scope: 'organization', order: 5 }),
    ];
    expect(evaluateRules(message(), rules, context)).to.deep.include({
      matchedRuleIds: ['org'],
      actions: [],
    });
  });

  it('skips disabled rules', () => {
    const rules = [
      rule('off', [ALWAYS], [{ type: 'delete' }], { enabled: false }),
      rule('on', [ALWAYS], [{ type: 'mark_read' }]),
    ];
    expect(evaluateRules(message(), rules, context).matchedRuleIds).to.deep.equal(['on']);
  });

  it('delete overrides move; labels, forwards and replies are deduplicated', () => {
    const rules = [
      rule(
        'a',
        [ALWAYS],
        [
          { type: 'move_to_folder', folderId: 'x' },
          { type: 'add_label', label: 'VIP' },
          { type: 'auto_reply', body: 'one' },
        ],
        { order: 1 },
      ),
      rule(
        'b',
        [ALWAYS],
        [
          { type: 'delete' },
          { type: 'add_label', label: 'vip' },
          { type: 'forward', to: 'A@x.cn' },
          { type: 'forward', to: 'a@X.cn' },
        ],
        { order: 2 },
      ),
      rule(
        'c',
        [ALWAYS],
        [{ type: 'auto_reply', body: 'two' }, { type: 'mark_read' }, { type: 'mark_read' }],
        { order: 3 },
      ),
    ];
    expect(evaluateRules(message(), rules, context).actions).to.deep.equal([
      { type: 'add_label', label: 'VIP' },
      { type: 'auto_reply', body: 'one' },
      { type: 'delete' },
      { type: 'forward', to: 'A@x.cn' },
      { type: 'mark_read' },
    ]);
  });

  it('isolates a failing rule: reported, skipped, others still apply', () => {
    const rules = [
      rule('bad-regex', [text('subject', 'matches', '(a+)+$')], [{ type: 'delete' }], { order: 1 }),
      rule('bad-field', [{ field: 'mood', value: 'sad' } as unknown as RuleCondition], [{ type: 'delete' }], {
        order: 2,
      }),
      rule('good', [text('subject', 'contains', '合同')], [{ type: 'add_label', label: '合同' }], {
        order: 3,
      }),
    ];
    const result = evaluateRules(message(), rules, context);
    expect(result.errors.map((e) => e.ruleId)).to.deep.equal(['bad-regex', 'bad-field']);
    expect(result.errors[0].message).to.match(/refused/);
    expect(result.actions).to.deep.equal([{ type: 'add_label', label: '合同' }]);
  });
});

describe('rule engine: properties', () => {
  const str = fc.string({ maxLength: 12 });
  const textOp = fc.constantFrom('contains', 'not_contains', 'equals', 'starts_with', 'matches');
  const condition: fc.Arbitrary<RuleCondition> = fc.oneof(
    fc.record({
      field: fc.constantFrom('from', 'to', 'cc', 'subject', 'body'),
      operator: textOp,
      value: str,
    }),
    fc.record({
      field: fc.constant('header'),
      name: fc.constantFrom('x-mailer', 'list-id', 'x-none'),
      operator: textOp,
      value: str,
    }),
    fc.record({ field: fc.constant('has_attachment'), value: fc.boolean() }),
    fc.record({ field: fc.constant('size'), operator: fc.constantFrom('gt', 'lt'), bytes: fc.nat() }),
    fc.record({ field: fc.constant('sender_scope'), value: fc.constantFrom('internal', 'external') }),
    fc.record({
      field: fc.constant('sender_department'),
      departmentId: fc.constantFrom('root', 'sales', 'hr'),
    }),
    fc.record({ field: fc.constant('sent_to_my_group'), value: fc.boolean() }),
    fc.record({ field: fc.constant('importance'), value: fc.constantFrom('high', 'normal', 'low') }),
  ) as fc.Arbitrary<RuleCondition>;
  const action: fc.Arbitrary<RuleAction> = fc.oneof(
    fc.constantFrom<RuleAction>(
      { type: 'mark_read' },
      { type: 'mark_important' },
      { type: 'delete' },
      { type: 'stop' },
      { type: 'notify_dingtalk' },
    ),
    fc.record({ type: fc.constant('move_to_folder'), folderId: fc.constantFrom('a', 'b') }),
    fc.record({ type: fc.constant('add_label'), label: fc.constantFrom('x', 'X', 'y') }),
    fc.record({ type: fc.constant('forward'), to: fc.constantFrom('a@b.cn', 'A@b.cn') }),
    fc.record({ type: fc.constant('auto_reply'), body: str }),
  ) as fc.Arbitrary<RuleAction>;
  const ruleArb: fc.Arbitrary<Rule> = fc.record({
    id: fc.uuid(),
    name: fc.constant('r'),
    enabled: fc.boolean(),
    scope: fc.constantFrom('personal', 'organization'),
    order: fc.nat({ max: 5 }),
    match: fc.constantFrom('all', 'any'),
    conditions: fc.array(condition, { minLength: 1, maxLength: 4 }),
    actions: fc.array(action, { minLength: 1, maxLength: 4 }),
  }) as fc.Arbitrary<Rule>;
  const addr = fc.record({
    address: fc.constantFrom('a@acme.cn', 'sales@acme.cn', 'x@y.com', ''),
    name: fc.option(str, { nil: undefined }),
  });
  const messageArb: fc.Arbitrary<RuleMessage> = fc.record({
    from: fc.option(addr, { nil: null }),
    to: fc.array(addr, { maxLength: 3 }),
    cc: fc.array(addr, { maxLength: 3 }),
    subject: fc.string(),
    text: fc.string(),
    headers: fc.dictionary(fc.constantFrom('x-mailer', 'list-id'), fc.array(fc.string(), { maxLength: 2 })),
    hasAttachments: fc.boolean(),
    size: fc.nat(),
    importance: fc.constantFrom('high', 'normal', 'low'),
  }) as fc.Arbitrary<RuleMessage>;

  it('never throws; every returned action comes from a matched, enabled rule', () => {
    fc.assert(
      fc.property(messageArb, fc.array(ruleArb, { maxLength: 8 }), (msg, rules) => {
        const result = evaluateRules(msg, rules, context);
        const matched = rules.filter((r) => result.matchedRuleIds.includes(r.id));
        expect(matched.every((r) => r.enabled)).to.equal(true);
        const available = matched.flatMap((r) => r.actions).map((a) => JSON.stringify(a));
        for (const a of result.actions) expect(available).to.include(JSON.stringify(a));
        expect(result.actions.filter((a) => a.type === 'move_to_folder').length).to.be.at.most(1);
      }),
      { numRuns: 300 },
    );
  });
});
