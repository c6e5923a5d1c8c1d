import { expect } from 'chai';
import fc from 'fast-check';
import { Rule, RuleCondition, type RuleAction } from '../../shared/rules/rule';
import { evaluateRules, type RuleContext, type RuleMessage } from '../../server/modules/rules/rule-engine';
import { exportSieve, importSieve } from '../../server/modules/rules/sieve';

/*
 * Property-based tests (issue 8) for the rule engine: totality over everything the schema accepts,
 * determinism, the all/any laws, a condition against its negation, stop semantics, and Sieve
 * export→import preserving what the rules do. Fixed seed so CI failures reproduce.
 */

const SEED = 8_2026_1123;
const RUNS = 250;
const opts = { seed: SEED, numRuns: RUNS };

// Text that exercises normalisation: ASCII, Chinese, full-width forms, combining marks, emoji.
const char = fc.constantFrom(
  ...'aAbZz09 .@-_合同发票会议ＡＢ１\u3000é\u0301😀'.split(''),
  '😀',
  '\u0000',
  '\n',
);
const text = (max: number) => fc.array(char, { maxLength: max }).map((a) => a.join(''));
const value = fc.oneof(text(8), fc.string({ minLength: 1, maxLength: 8 })).filter((s) => s.length > 0);
const pattern = fc.oneof(
  fc.constantFrom('^a', '合同|发票', '\\d+', '^$', '.', '[a-z]+@', '😀', 'ａ', '(?:ab)+$'),
  fc.string({ minLength: 1, maxLength: 12 }),
);
const textOp = fc.constantFrom('contains', 'not_contains', 'equals', 'starts_with') as fc.Arbitrary<
  'contains' | 'not_contains' | 'equals' | 'starts_with'
>;
const headerName = fc.constantFrom('x-mailer', 'List-Id', 'x-none', 'Subject');

const condition: fc.Arbitrary<RuleCondition> = fc.oneof(
  fc.record({ field: fc.constantFrom('from', 'to', 'cc', 'subject', 'body'), operator: textOp, value }),
  fc.record({
    field: fc.constantFrom('from', 'to', 'cc', 'subject', 'body'),
    operator: fc.constant('matches'),
    value: pattern,
  }),
  fc.record({ field: fc.constant('header'), name: headerName, operator: textOp, value }),
  fc.record({ field: fc.constant('has_attachment'), value: fc.boolean() }),
  fc.record({
    field: fc.constant('size'),
    operator: fc.constantFrom('gt', 'lt'),
    bytes: fc.oneof(fc.nat({ max: 5000 }), fc.constant(Number.MAX_SAFE_INTEGER)),
  }),
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
  fc.record({ type: fc.constant('move_to_folder'), folderId: fc.constantFrom('name:A', 'name:收件/B') }),
  fc.record({ type: fc.constant('add_label'), label: fc.constantFrom('x', 'X', '合同') }),
  fc.record({ type: fc.constant('forward'), to: fc.constantFrom('a@b.cn', 'A@b.cn', '张三@例子.中国') }),
  fc.record({ type: fc.constant('auto_reply'), body: fc.constantFrom('ok', '休假中\n下周回') }),
) as fc.Arbitrary<RuleAction>;

/** Conditions the schema accepts (as parsed: header names lowercased, runaway patterns refused). */
const validCondition = condition
  .map((c) => RuleCondition.safeParse(c))
  .filter((p) => p.success)
  .map((p) => p.data!);

/** Rules exactly as the schema accepts them (the zod parse applies its transforms, e.g. header names). */
function ruleArb(conditions = condition, actions = action): fc.Arbitrary<Rule> {
  return fc
    .record({
      id: fc.uuid(),
      name: fc.constantFrom('r', '规则'),
      enabled: fc.boolean(),
      scope: fc.constantFrom('personal', 'organization'),
      order: fc.nat({ max: 5 }),
      match: fc.constantFrom('all', 'any'),
      conditions: fc.array(conditions, { minLength: 1, maxLength: 4 }),
      actions: fc.array(actions, { minLength: 1, maxLength: 4 }),
    })
    .map((r) => Rule.safeParse(r))
    .filter((p) => p.success)
    .map((p) => p.data!);
}
const rules = fc.uniqueArray(ruleArb(), { maxLength: 8, selector: (r) => r.id });

const address = fc.record({
  address: fc.oneof(fc.constantFrom('a@acme.cn', 'sales@acme.cn', 'x@y.com', ''), text(10)),
  name: fc.option(text(6), { nil: undefined }),
});
const message: fc.Arbitrary<RuleMessage> = fc.record({
  from: fc.option(address, { nil: null }),
  to: fc.array(address, { maxLength: 3 }),
  cc: fc.array(address, { maxLength: 3 }),
  subject: fc.oneof(text(20), fc.string({ maxLength: 40 }), fc.constant('x'.repeat(5000))),
  text: fc.oneof(text(40), fc.string({ maxLength: 60 }), fc.constant('合同'.repeat(20_000))),
  headers: fc.dictionary(
    fc.constantFrom('x-mailer', 'list-id', 'subject'),
    fc.array(text(10), { maxLength: 2 }),
  ),
  hasAttachments: fc.boolean(),
  size: fc.nat({ max: 6000 }),
  importance: fc.constantFrom('high', 'normal', 'low'),
}) as fc.Arbitrary<RuleMessage>;
const context: fc.Arbitrary<RuleContext> = fc.record({
  isInternalSender: fc.boolean(),
  senderDepartmentPaths: fc.array(fc.subarray(['root', 'sales', 'hr']), { maxLength: 2 }),
  myGroupAddresses: fc.subarray(['SALES@acme.cn', 'x@y.com']),
});

function single(id: string, conditions: RuleCondition[], match: 'all' | 'any'): Rule {
  return {
    id,
    name: id,
    enabled: true,
    scope: 'personal',
    order: 0,
    match,
    conditions,
    actions: [{ type: 'mark_read' }],
  };
}
const matches = (rule: Rule, m: RuleMessage, c: RuleContext) =>
  evaluateRules(m, [rule], c).matchedRuleIds.length === 1;

describe('rule engine properties (fast-check, fixed seed)', () => {
  it('is total: any schema-valid rules on any message evaluate without throwing or rule errors', () => {
    fc.assert(
      fc.property(message, rules, context, (m, rs, c) => {
        const result = evaluateRules(m, rs, c);
        expect(result.errors).to.deep.equal([]);
        expect(result.actions.some((a) => a.type === 'stop')).to.equal(false);
        expect(result.actions.filter((a) => a.type === 'move_to_folder').length).to.be.at.most(1);
        expect(result.actions.filter((a) => a.type === 'auto_reply').length).to.be.at.most(1);
        if (result.actions.some((a) => a.type === 'delete'))
          expect(result.actions.some((a) => a.type === 'move_to_folder')).to.equal(false);
      }),
      opts,
    );
  });

  it('never throws even for rules the schema refuses: the bad rule is reported and skipped', () => {
    const anyRule = fc.record({
      id: fc.uuid(),
      name: fc.constant('r'),
      enabled: fc.constant(true),
      scope: fc.constantFrom('personal', 'organization'),
      order: fc.nat({ max: 5 }),
      match: fc.constantFrom('all', 'any'),
      conditions: fc.array(condition, { minLength: 1, maxLength: 3 }),
      actions: fc.constant([{ type: 'mark_read' }]),
    }) as fc.Arbitrary<Rule>;
    fc.assert(
      fc.property(
        message,
        fc.uniqueArray(anyRule, { maxLength: 5, selector: (r) => r.id }),
        context,
        (m, rs, c) => {
          const result = evaluateRules(m, rs, c);
          for (const e of result.errors) {
            const bad = rs.find((r) => r.id === e.ruleId)!;
            expect(Rule.safeParse(bad).success, e.message).to.equal(false);
            expect(result.matchedRuleIds).to.not.include(e.ruleId);
          }
        },
      ),
      opts,
    );
  });

  it('is deterministic and independent of the order rules are stored in', () => {
    fc.assert(
      fc.property(message, rules, context, fc.nat(), (m, rs, c, shift) => {
        const first = evaluateRules(m, rs, c);
        expect(evaluateRules(m, rs, c)).to.deep.equal(first);
        const k = rs.length ? shift % rs.length : 0;
        const rotated = [...rs.slice(k), ...rs.slice(0, k)].reverse();
        expect(evaluateRules(m, rotated, c)).to.deep.equal(first);
      }),
      opts,
    );
  });

  it("'all' holds iff every condition holds alone; 'any' iff some does; one condition: all = any", () => {
    fc.assert(
      fc.property(message, fc.array(validCondition, { minLength: 1, maxLength: 5 }), context, (m, cs, c) => {
        const each = cs.map((cond, i) => matches(single(`c${i}`, [cond], 'all'), m, c));
        expect(matches(single('all', cs, 'all'), m, c)).to.equal(each.every(Boolean));
        expect(matches(single('any', cs, 'any'), m, c)).to.equal(each.some(Boolean));
        expect(matches(single('one-any', [cs[0]], 'any'), m, c)).to.equal(each[0]);
      }),
      opts,
    );
  });

  it('a condition and its negation: exactly one of the two rules matches', () => {
    const negated = fc.oneof(
      fc.record({ field: fc.constantFrom('from', 'to', 'cc', 'subject', 'body'), value }).map((c) => [
        { ...c, operator: 'contains' },
        { ...c, operator: 'not_contains' },
      ]),
      fc.record({ name: headerName, value }).map((c) => [
        { field: 'header', name: c.name.toLowerCase(), operator: 'contains', value: c.value },
        { field: 'header', name: c.name.toLowerCase(), operator: 'not_contains', value: c.value },
      ]),
      fc.boolean().map((v) => [
        { field: 'has_attachment', value: v },
        { field: 'has_attachment', value: !v },
      ]),
      fc.boolean().map((v) => [
        { field: 'sent_to_my_group', value: v },
        { field: 'sent_to_my_group', value: !v },
      ]),
      fc.constant([
        { field: 'sender_scope', value: 'internal' },
        { field: 'sender_scope', value: 'external' },
      ]),
      // size > b and size < b + 1 split the integers
      fc.nat({ max: 6000 }).map((b) => [
        { field: 'size', operator: 'gt', bytes: b },
        { field: 'size', operator: 'lt', bytes: b + 1 },
      ]),
    ) as fc.Arbitrary<[RuleCondition, RuleCondition]>;
    fc.assert(
      fc.property(message, negated, context, (m, [yes, no], c) => {
        const a = matches(single('yes', [yes], 'all'), m, c);
        const b = matches(single('no', [no], 'all'), m, c);
        expect(a, JSON.stringify({ yes, no })).to.not.equal(b);
        // and so "yes AND no" never matches, "yes OR no" always does
        expect(matches(single('and', [yes, no], 'all'), m, c)).to.equal(false);
        expect(matches(single('or', [yes, no], 'any'), m, c)).to.equal(true);
      }),
      opts,
    );
  });

  it('stop: no rule after the first matched stopping rule contributes anything', () => {
    fc.assert(
      fc.property(message, rules, context, (m, rs, c) => {
        const result = evaluateRules(m, rs, c);
        const byId = new Map(rs.map((r) => [r.id, r]));
        const matched = result.matchedRuleIds.map((id) => byId.get(id)!);
        const stopAt = matched.findIndex((r) => r.actions.some((a) => a.type === 'stop'));
        // a stopping rule can only be the last one matched
        expect(stopAt === -1 || stopAt === matched.length - 1).to.equal(true);
        // the same evaluation over only the rules up to the stop gives the same answer
        if (stopAt >= 0) {
          const kept = matched.slice(0, stopAt + 1);
          const sameActions = evaluateRules(m, kept, c);
          expect(sameActions.actions).to.deep.equal(result.actions);
        }
        // every rule that is enabled, matches alone and comes before any stop was matched
        const alone = rs.filter(
          (r) => r.enabled && matches({ ...r, actions: [{ type: 'mark_read' }] }, m, c),
        );
        if (stopAt === -1)
          expect([...result.matchedRuleIds].sort()).to.deep.equal(alone.map((r) => r.id).sort());
      }),
      opts,
    );
  });

  it('sieve export then import preserves what the rules do', () => {
    // What Sieve can say: text and header tests (not `matches` on addresses), sizes; no org scope.
    const exportable = fc.oneof(
      fc.record({
        field: fc.constantFrom('from', 'to', 'cc', 'subject', 'body'),
        operator: textOp,
        value: value.filter((s) => s.trim() === s && !/[\n\0]/.test(s)),
      }),
      fc.record({
        field: fc.constant('header'),
        name: fc.constantFrom('x-mailer', 'list-id'),
        operator: textOp,
        value: value.filter((s) => s.trim() === s && !/[\n\0]/.test(s)),
      }),
      fc.record({
        field: fc.constant('size'),
        operator: fc.constantFrom('gt', 'lt'),
        bytes: fc.nat({ max: 5000 }),
      }),
    ) as fc.Arbitrary<RuleCondition>;
    const exportableRules = fc
      .uniqueArray(ruleArb(exportable), { minLength: 1, maxLength: 5, selector: (r) => r.id })
      .map((rs) => rs.map((r, i) => ({ ...r, scope: 'personal' as const, order: i, name: `规则${i}` })));
    fc.assert(
      fc.property(message, exportableRules, context, (m, rs, c) => {
        const back = importSieve(exportSieve(rs));
        expect(back.problems).to.deep.equal([]);
        const before = evaluateRules(m, rs, c);
        const after = evaluateRules(m, back.rules, c);
        expect(after.errors).to.deep.equal([]);
        expect(after.actions).to.deep.equal(before.actions);
        expect(after.matchedRuleIds.length).to.equal(before.matchedRuleIds.length);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});
