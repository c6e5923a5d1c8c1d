import { z } from 'zod';
import { validateRegex } from './regex-guard';

export {
  MAX_REGEX_LENGTH,
  REGEX_FLAGS,
  REGEX_INPUT_LIMIT,
  validateRegex,
  type RegexVerdict,
} from './regex-guard';

/*
 * The one rule contract, used by the server (validate, engine, Sieve) and by both clients' editors.
 * Besides zod it imports only safe-regex2, a small dependency-light pure-JS check that bundles for
 * the browser, so the UI refuses a runaway pattern with the same reason the server would.
 */

export const RULE_LIMITS = {
  conditions: 20,
  actions: 10,
  valueLength: 500,
  nameLength: 100,
  autoReplyBodyLength: 10_000,
} as const;

export const TEXT_FIELDS = ['from', 'to', 'cc', 'subject', 'body'] as const;
export const TextField = z.enum(TEXT_FIELDS);
export type TextField = z.infer<typeof TextField>;

export const TEXT_OPERATORS = ['contains', 'not_contains', 'equals', 'starts_with', 'matches'] as const;
export const TextOperator = z.enum(TEXT_OPERATORS);
export type TextOperator = z.infer<typeof TextOperator>;

export const Importance = z.enum(['high', 'normal', 'low']);
export type Importance = z.infer<typeof Importance>;

/** RFC 5322 field-name characters (printable ASCII except the colon); lowercased like RuleMessage.headers. */
const HeaderName = z
  .string()
  .min(1, { error: 'header name is required' })
  .max(100)
  .regex(/^[!-9;-~]+$/, { error: 'expected a header name such as List-Id' })
  .transform((name) => name.toLowerCase());

const TextValue = z
  .string()
  .min(1, { error: 'value is required' })
  .max(RULE_LIMITS.valueLength, { error: `value is longer than ${RULE_LIMITS.valueLength} characters` });

/** Saving a runaway or invalid pattern fails here, with the guard's reason on `value`. */
function refuseBadRegex(condition: { operator: TextOperator; value: string }, ctx: z.RefinementCtx): void {
  if (condition.operator !== 'matches') return;
  const verdict = validateRegex(condition.value);
  if (!verdict.ok) {
    ctx.addIssue({
      code: 'custom',
      message: `Regular expression refused: ${verdict.reason}`,
      path: ['value'],
    });
  }
}

export const TextCondition = z
  .object({ field: TextField, operator: TextOperator, value: TextValue })
  .superRefine(refuseBadRegex);
export const HeaderCondition = z
  .object({ field: z.literal('header'), name: HeaderName, operator: TextOperator, value: TextValue })
  .superRefine(refuseBadRegex);
export const HasAttachmentCondition = z.object({ field: z.literal('has_attachment'), value: z.boolean() });
export const SizeCondition = z.object({
  field: z.literal('size'),
  operator: z.enum(['gt', 'lt']),
  bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
export const SenderScopeCondition = z.object({
  field: z.literal('sender_scope'),
  value: z.enum(['internal', 'external']),
});
/** Matches the department and every department below it. */
export const SenderDepartmentCondition = z.object({
  field: z.literal('sender_department'),
  departmentId: z.string().min(1).max(100),
});
export const SentToMyGroupCondition = z.object({ field: z.literal('sent_to_my_group'), value: z.boolean() });
export const ImportanceCondition = z.object({ field: z.literal('importance'), value: Importance });

export const RuleCondition = z.discriminatedUnion('field', [
  TextCondition,
  HeaderCondition,
  HasAttachmentCondition,
  SizeCondition,
  SenderScopeCondition,
  SenderDepartmentCondition,
  SentToMyGroupCondition,
  ImportanceCondition,
]);
export type RuleCondition = z.infer<typeof RuleCondition>;
export type ConditionField = RuleCondition['field'];

export const RuleAction = z.discriminatedUnion('type', [
  z.object({ type: z.literal('move_to_folder'), folderId: z.string().min(1).max(200) }),
  z.object({ type: z.literal('add_label'), label: z.string().trim().min(1).max(64) }),
  z.object({ type: z.literal('mark_read') }),
  z.object({ type: z.literal('mark_important') }),
  /** Sent later through the ordinary outbound path, so the send policy still applies. */
  // Unicode-aware: Chinese mailboxes and IDN domains (张三@例子.中国) are real addresses here.
  z.object({
    type: z.literal('forward'),
    to: z.email({ pattern: z.regexes.unicodeEmail, error: 'not a valid email address' }),
  }),
  z.object({
    type: z.literal('auto_reply'),
    subject: z.string().min(1).max(200).optional(),
    body: z.string().min(1).max(RULE_LIMITS.autoReplyBodyLength),
  }),
  z.object({ type: z.literal('delete') }),
  z.object({ type: z.literal('stop') }),
  z.object({ type: z.literal('notify_dingtalk') }),
]);
export type RuleAction = z.infer<typeof RuleAction>;
export type ActionType = RuleAction['type'];

export const RuleMatch = z.enum(['all', 'any']);
export type RuleMatch = z.infer<typeof RuleMatch>;

export const RuleScope = z.enum(['personal', 'organization']);
export type RuleScope = z.infer<typeof RuleScope>;

export const Rule = z
  .object({
    id: z.string().min(1).max(100),
    name: z.string().trim().min(1).max(RULE_LIMITS.nameLength),
    enabled: z.boolean(),
    /** Organization rules are pushed by an admin, run first and are read-only for the employee. */
    scope: RuleScope,
    /** Ascending; ties are broken by id so evaluation never depends on storage order. */
    order: z.number().int().min(0).max(1_000_000),
    match: RuleMatch,
    conditions: z.array(RuleCondition).min(1).max(RULE_LIMITS.conditions),
    actions: z.array(RuleAction).min(1).max(RULE_LIMITS.actions),
  })
  .meta({ id: 'Rule' });
export type Rule = z.infer<typeof Rule>;

export const RuleList = z.object({ rules: z.array(Rule) }).meta({ id: 'RuleList' });

type Label = { zh: string; en: string };

/** UI labels for the rule editor, in one place so the H5 app and the console agree. */
export const CONDITION_LABELS: Record<ConditionField, Label> = {
  from: { zh: '发件人', en: 'From' },
  to: { zh: '收件人', en: 'To' },
  cc: { zh: '抄送', en: 'Cc' },
  subject: { zh: '主题', en: 'Subject' },
  body: { zh: '正文', en: 'Body' },
  header: { zh: '邮件头', en: 'Header' },
  has_attachment: { zh: '包含附件', en: 'Has attachment' },
  size: { zh: '邮件大小', en: 'Size' },
  sender_scope: { zh: '发件人范围', en: 'Sender is' },
  sender_department: { zh: '发件人部门（含子部门）', en: "Sender's department (incl. sub-departments)" },
  sent_to_my_group: { zh: '发送到我所在的群组', en: 'Sent to a group I am in' },
  importance: { zh: '重要性', en: 'Importance' },
};

export const TEXT_OPERATOR_LABELS: Record<TextOperator, Label> = {
  contains: { zh: '包含', en: 'contains' },
  not_contains: { zh: '不包含', en: 'does not contain' },
  equals: { zh: '等于', en: 'equals' },
  starts_with: { zh: '开头是', en: 'starts with' },
  matches: { zh: '匹配正则表达式', en: 'matches regular expression' },
};

export const SIZE_OPERATOR_LABELS: Record<'gt' | 'lt', Label> = {
  gt: { zh: '大于（字节）', en: 'larger than (bytes)' },
  lt: { zh: '小于（字节）', en: 'smaller than (bytes)' },
};

export const VALUE_LABELS = {
  internal: { zh: '内部', en: 'internal' },
  external: { zh: '外部', en: 'external' },
  high: { zh: '高', en: 'high' },
  normal: { zh: '普通', en: 'normal' },
  low: { zh: '低', en: 'low' },
  all: { zh: '满足所有条件', en: 'all of the conditions' },
  any: { zh: '满足任一条件', en: 'any of the conditions' },
} as const satisfies Record<string, Label>;

export const ACTION_LABELS: Record<ActionType, Label> = {
  move_to_folder: { zh: '移动到文件夹', en: 'Move to folder' },
  add_label: { zh: '添加标签', en: 'Add label' },
  mark_read: { zh: '标记为已读', en: 'Mark as read' },
  mark_important: { zh: '标记为重要', en: 'Mark as important' },
  forward: { zh: '转发到', en: 'Forward to' },
  auto_reply: { zh: '自动回复', en: 'Auto-reply' },
  delete: { zh: '删除', en: 'Delete' },
  stop: { zh: '不再处理后续规则', en: 'Stop processing more rules' },
  notify_dingtalk: { zh: '钉钉通知我', en: 'Notify me in DingTalk' },
};
