import { expect } from 'chai';
import { DepartmentQuery } from '../../shared/directory/departments';
import { Rule } from '../../shared/rules/rule';
import { evaluateRules, type RuleContext, type RuleMessage } from '../../server/modules/rules/rule-engine';
import { exportSieve } from '../../server/modules/rules/sieve';

const message: RuleMessage = {
  from: { address: 'lisi@corp.test', name: '李四' },
  to: [{ address: 'zhangsan@corp.test' }],
  cc: [],
  subject: '周报',
  text: '',
  headers: {},
  hasAttachments: false,
  size: 100,
  importance: 'normal',
};

function rule(departmentId: string, enabled = true): Rule {
  return Rule.parse({
    id: `r-${departmentId}`,
    name: `部门 ${departmentId}`,
    enabled,
    scope: 'personal',
    order: 0,
    match: 'all',
    conditions: [{ field: 'sender_department', departmentId }],
    actions: [{ type: 'add_label', label: departmentId }],
  });
}

describe("rules: the sender's department condition and the department query", () => {
  // 李四 is in 华东 (below 销售部) and in 项目组 (below 研发部).
  const context: RuleContext = {
    isInternalSender: true,
    senderDepartmentPaths: [
      ['root', 'sales', 'sales-east'],
      ['root', 'rd', 'rd-project'],
    ],
    myGroupAddresses: [],
  };

  it('matches the department itself, any ancestor, and any of several departments', () => {
    for (const id of ['sales-east', 'sales', 'root', 'rd-project', 'rd'])
      expect(evaluateRules(message, [rule(id)], context).matchedRuleIds, id).to.deep.equal([`r-${id}`]);
  });

  it('does not match a sibling, a child of the sender’s department, or an outside sender', () => {
    for (const id of ['sales-west', 'hr'])
      expect(evaluateRules(message, [rule(id)], context).matchedRuleIds, id).to.deep.equal([]);
    const outside: RuleContext = { isInternalSender: false, senderDepartmentPaths: [], myGroupAddresses: [] };
    expect(evaluateRules(message, [rule('root')], outside).matchedRuleIds).to.deep.equal([]);
  });

  it('refuses an empty department id at the schema', () => {
    expect(() => rule('')).to.throw();
  });

  it('is written as a comment in a Sieve export (Sieve has no directory)', () => {
    const script = exportSieve([rule('sales')]);
    expect(script).to.contain(
      '# not exported: "Sender\'s department (incl. sub-departments)" has no Sieve equivalent',
    );
    expect(script).to.not.contain('if ');
  });

  it('parses the department query: ids split and deduplicated, limits enforced', () => {
    expect(DepartmentQuery.parse({ ids: 'a, b,a,,c' }).ids).to.deep.equal(['a', 'b', 'c']);
    expect(DepartmentQuery.parse({}).limit).to.equal(50);
    expect(DepartmentQuery.parse({ q: '  销售  ' }).q).to.equal('销售');
    expect(DepartmentQuery.safeParse({ limit: '0' }).success).to.equal(false);
    expect(DepartmentQuery.safeParse({ limit: '201' }).success).to.equal(false);
    const many = Array.from({ length: 51 }, (_, i) => `d${i}`).join(',');
    expect(DepartmentQuery.safeParse({ ids: many }).success).to.equal(false);
  });
});
