import { parseArgs } from 'node:util';
import type { Rule, RuleAction, RuleCondition } from '../shared/rules/rule';
import { evaluateRules, type RuleContext, type RuleMessage } from '../server/modules/rules/rule-engine';

const USAGE = `node dist/bench/rules.bench.js [--seconds S] [--json]

One realistic message evaluated against 50 varied rules (some regex) in a tight loop.
Target: >= 20,000 evaluations per second.`;

const BODY =
  '张总您好，\n\n附件是第三季度华东区的采购合同草案，请您审阅。合同金额 ¥1,280,000，付款方式为分三期。\n' +
  'Please also find the English summary attached. Invoice #20240915 will follow after signing.\n'.repeat(20) +
  '\n此致\n敬礼\n李四 | 采购部 | 电话 021-5555-0101\n';

const MESSAGE: RuleMessage = {
  from: { address: 'li.si@acme.cn', name: '李四' },
  to: [
    { address: 'zhang.zong@acme.cn', name: '张总' },
    { address: 'purchasing@acme.cn', name: '采购部' },
  ],
  cc: [{ address: 'wang.wu@partner.com.cn', name: 'Wang Wu' }],
  subject: 'Re: 【审批】Q3 华东区采购合同草案 v2',
  text: BODY,
  headers: {
    'x-mailer': ['Foxmail 7.2.25'],
    'list-id': [],
    received: ['from mx1.acme.cn by mail.acme.cn', 'from client by mx1.acme.cn'],
    'message-id': ['<abc123@acme.cn>'],
  },
  hasAttachments: true,
  size: 1_840_000,
  importance: 'normal',
};

const CONTEXT: RuleContext = {
  isInternalSender: true,
  senderDepartmentPaths: [['acme', 'ops', 'purchasing', 'purchasing-east']],
  myGroupAddresses: ['purchasing@acme.cn', 'all@acme.cn'],
};

/** A mix shaped like real mailboxes: mostly cheap text tests, a few regexes, most rules not matching. */
function buildRules(n: number): Rule[] {
  const conditionPool: RuleCondition[][] = [
    [{ field: 'from', operator: 'contains', value: 'newsletter' }],
    [{ field: 'subject', operator: 'contains', value: '发票' }],
    [{ field: 'subject', operator: 'matches', value: '^\\[(JIRA|Confluence)\\]' }],
    [{ field: 'header', name: 'list-id', operator: 'contains', value: 'dev.acme.cn' }],
    [{ field: 'body', operator: 'contains', value: 'unsubscribe' }],
    [{ field: 'body', operator: 'matches', value: 'invoice\\s+#\\d{8}' }],
    [
      { field: 'has_attachment', value: true },
      { field: 'size', operator: 'gt', bytes: 10 * 1024 * 1024 },
    ],
    [{ field: 'sender_department', departmentId: `dept-${n}` }],
    [
      { field: 'sender_scope', value: 'external' },
      { field: 'to', operator: 'equals', value: 'ceo@acme.cn' },
    ],
    [{ field: 'cc', operator: 'starts_with', value: 'legal@' }],
    [{ field: 'header', name: 'x-mailer', operator: 'matches', value: 'outlook\\s+\\d+' }],
    [{ field: 'importance', value: 'high' }],
  ];
  const actionPool: RuleAction[][] = [
    [{ type: 'move_to_folder', folderId: 'f-news' }, { type: 'mark_read' }],
    [{ type: 'add_label', label: '财务' }],
    [{ type: 'notify_dingtalk' }],
    [{ type: 'forward', to: 'archive@acme.cn' }],
    [{ type: 'mark_important' }],
  ];
  return Array.from({ length: n }, (_, i) => ({
    id: `rule-${i}`,
    name: `规则 ${i}`,
    enabled: i % 17 !== 0,
    scope: i < 5 ? 'organization' : 'personal',
    order: i,
    match: i % 3 === 0 ? 'any' : 'all',
    conditions: conditionPool[i % conditionPool.length].map((c) =>
      c.field === 'sender_department' ? { ...c, departmentId: `dept-${i}` } : c,
    ),
    actions: actionPool[i % actionPool.length],
  }));
}

function main(): void {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '2' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const say = (line: string) => {
    if (!values.json) process.stdout.write(line + '\n');
  };
  const rules = buildRules(50);
  const first = evaluateRules(MESSAGE, rules, CONTEXT);
  if (first.errors.length) throw new Error(`bench rules failed: ${JSON.stringify(first.errors)}`);

  // Warm up so the JIT and the regex cache are in steady state before timing.
  for (let i = 0; i < 2000; i++) evaluateRules(MESSAGE, rules, CONTEXT);
  const budgetMs = Number(values.seconds) * 1000;
  const start = process.hrtime.bigint();
  let evaluations = 0;
  let elapsedMs = 0;
  while (elapsedMs < budgetMs) {
    for (let i = 0; i < 500; i++) evaluateRules(MESSAGE, rules, CONTEXT);
    evaluations += 500;
    elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  }
  const evalsPerSecond = Math.round((evaluations / elapsedMs) * 1000);

  say('metric              value');
  say(`rules               ${rules.length}`);
  say(`matched rules       ${first.matchedRuleIds.length}`);
  say(`actions             ${first.actions.length}`);
  say(`evaluations         ${evaluations}`);
  say(`elapsed ms          ${elapsedMs.toFixed(0)}`);
  say(`µs / evaluation     ${((elapsedMs * 1000) / evaluations).toFixed(2)}`);
  say(`evals / second      ${evalsPerSecond}  (target >= 20000)`);
  process.stdout.write(JSON.stringify({ rules: rules.length, evalsPerSecond }) + '\n');
}

main();
