import { expect } from 'chai';
import {
  ACTION_LABELS,
  CONDITION_LABELS,
  MAX_REGEX_LENGTH,
  Rule,
  TEXT_OPERATOR_LABELS,
  validateRegex,
} from '../../shared/rules/rule';

function draft(conditions: unknown[], actions: unknown[] = [{ type: 'mark_read' }]) {
  return {
    id: 'r1',
    name: '合同',
    enabled: true,
    scope: 'personal',
    order: 0,
    match: 'all',
    conditions,
    actions,
  };
}

function issues(input: unknown): { path: string; message: string }[] {
  const result = Rule.safeParse(input);
  return result.success
    ? []
    : result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('rule schema: regular expressions', () => {
  for (const pattern of ['(a+)+$', '(.*a){20}', '([a-z]+)*@', '(\\w+\\s?)*$']) {
    it(`refuses runaway pattern ${pattern}`, () => {
      const check = validateRegex(pattern);
      expect(check.ok).to.equal(false);
      const found = issues(draft([{ field: 'subject', operator: 'matches', value: pattern }]));
      expect(found).to.have.length(1);
      expect(found[0].path).to.equal('conditions.0.value');
      expect(found[0].message).to.match(/^Regular expression refused: pattern could take too long/);
    });
  }

  it(`refuses patterns longer than ${MAX_REGEX_LENGTH} characters`, () => {
    const check = validateRegex('a'.repeat(MAX_REGEX_LENGTH + 1));
    expect(check).to.deep.equal({
      ok: false,
      reason: `pattern is longer than ${MAX_REGEX_LENGTH} characters`,
    });
    // The text field's own 500 limit is not what refuses it.
    expect(
      issues(draft([{ field: 'body', operator: 'matches', value: 'a'.repeat(201) }]))[0].message,
    ).to.match(/longer than 200/);
    expect(validateRegex('a'.repeat(MAX_REGEX_LENGTH)).ok).to.equal(true);
  });

  it('refuses invalid syntax and backreferences', () => {
    expect(validateRegex('(unclosed')).to.deep.include({ ok: false });
    expect((validateRegex('[z-a]') as { reason: string }).reason).to.match(/invalid regular expression/);
    expect((validateRegex('(a)\\1') as { reason: string }).reason).to.match(/backreferences/);
  });

  it('accepts ordinary patterns, including Chinese text and header conditions', () => {
    for (const p of ['^\\[JIRA\\]', '合同|发票', '@(acme|partner)\\.cn$', '#\\d{5}'])
      expect(validateRegex(p)).to.deep.equal({ ok: true });
    expect(
      issues(draft([{ field: 'header', name: 'X-Mailer', operator: 'matches', value: '^Foxmail' }])),
    ).to.deep.equal([]);
  });

  it('does not apply regex checks to other operators', () => {
    expect(issues(draft([{ field: 'subject', operator: 'contains', value: '(a+)+$' }]))).to.deep.equal([]);
  });
});

describe('rule schema: backtracking budget', () => {
  const refused = (p: string) => (validateRegex(p) as { ok: boolean; reason?: string }).reason ?? '';

  it('refuses repeated alternation, which safe-regex2 alone lets through', () => {
    for (const p of ['(a|a)*b', '(a|ab)+$', '(?:x|y){2,}'])
      expect(refused(p)).to.match(/repeated alternation/, p);
  });

  it('refuses overlapping open-ended repetitions (polynomial backtracking)', () => {
    for (const p of ['.*.*x', '\\d+\\d+x', '\\s*\\s*\\s*$', '^.*.*.*x', 'a.{0,100}.{0,100}x', '.*foo.*'])
      expect(refused(p)).to.match(/open-ended repetitions .* multiply/, p);
  });

  it('accepts repetitions over disjoint kinds of character, or split by a mandatory separator', () => {
    for (const p of [
      'outlook\\s+\\d+',
      '订单号[:：]\\s*\\d+',
      '\\w+@\\w+\\.cn$',
      '^.*合同.*$',
      '^\\d+-\\d+$',
      '\\d{3,4}-\\d{7,8}',
      '\\p{Script=Han}+公司',
      '(?<year>\\d{4})年',
    ])
      expect(validateRegex(p), p).to.deep.equal({ ok: true });
  });

  it('refuses syntax the checker cannot analyse, such as lookbehind', () => {
    expect(refused('(?<=a)b')).to.match(/cannot analyse/);
  });
});

describe('rule schema: shape', () => {
  it('parses a full rule and lowercases header names', () => {
    const parsed = Rule.parse(
      draft(
        [
          { field: 'header', name: 'List-Id', operator: 'contains', value: 'dev' },
          { field: 'size', operator: 'gt', bytes: 1024 },
          { field: 'sender_department', departmentId: 'd-1' },
        ],
        [{ type: 'forward', to: '张三@例子.中国' }, { type: 'auto_reply', body: '收到' }, { type: 'stop' }],
      ),
    );
    expect(parsed.conditions[0]).to.deep.equal({
      field: 'header',
      name: 'list-id',
      operator: 'contains',
      value: 'dev',
    });
  });

  it('bounds conditions (1..20) and actions (1..10)', () => {
    const c = { field: 'has_attachment', value: true };
    expect(issues(draft([]))[0].path).to.equal('conditions');
    expect(issues(draft(Array(21).fill(c)))[0].path).to.equal('conditions');
    expect(issues(draft([c], []))[0].path).to.equal('actions');
    expect(issues(draft([c], Array(11).fill({ type: 'mark_read' })))[0].path).to.equal('actions');
    expect(issues(draft(Array(20).fill(c), Array(10).fill({ type: 'mark_read' })))).to.deep.equal([]);
  });

  it('rejects unknown fields, operators and bad forward addresses', () => {
    expect(issues(draft([{ field: 'bcc', operator: 'contains', value: 'x' }]))).to.have.length.greaterThan(0);
    expect(
      issues(draft([{ field: 'subject', operator: 'ends_with', value: 'x' }])),
    ).to.have.length.greaterThan(0);
    expect(issues(draft([{ field: 'subject', operator: 'contains', value: '' }]))[0].message).to.equal(
      'value is required',
    );
    expect(
      issues(
        draft([{ field: 'has_attachment', value: true }], [{ type: 'forward', to: 'not-an-address' }]),
      )[0].message,
    ).to.equal('not a valid email address');
    expect(
      issues({ ...draft([{ field: 'has_attachment', value: true }]), scope: 'global' })[0].path,
    ).to.equal('scope');
  });

  it('has zh and en labels for every condition, operator and action', () => {
    for (const labels of [CONDITION_LABELS, TEXT_OPERATOR_LABELS, ACTION_LABELS]) {
      for (const label of Object.values(labels)) {
        expect(label.zh).to.match(/\p{Script=Han}/u);
        expect(label.en).to.match(/^[\x20-\x7e]+$/);
      }
    }
    expect(Object.keys(CONDITION_LABELS)).to.have.length(12);
    expect(Object.keys(ACTION_LABELS)).to.have.length(9);
  });
});
