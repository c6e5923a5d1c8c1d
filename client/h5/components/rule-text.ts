import type { RuleDefinition } from '../../../shared/rules/api';
import {
  ACTION_LABELS,
  CONDITION_LABELS,
  SIZE_OPERATOR_LABELS,
  TEXT_OPERATOR_LABELS,
  VALUE_LABELS,
  type RuleAction,
  type RuleCondition,
} from '../../../shared/rules/rule';
import type { Lang } from '../../common/i18n';

/** Department ids a rule's conditions name (to look their names up once for a list of rules). */
export function departmentIdsOf(defs: RuleDefinition[]): string[] {
  return defs.flatMap((d) =>
    d.conditions.flatMap((c) => (c.field === 'sender_department' ? [c.departmentId] : [])),
  );
}

/**
 * One line for a rule: "主题 包含 报销 → 移动到文件夹 …", from the shared labels. `departments` maps
 * department ids to names ("总部 / 销售部"); an id not in it is shown as is.
 */
export function describeRule(
  def: RuleDefinition,
  lang: Lang,
  departments: ReadonlyMap<string, string> = new Map(),
): string {
  const k = lang === 'en' ? 'en' : 'zh';
  const cond = (c: RuleCondition): string => {
    const field = CONDITION_LABELS[c.field][k];
    switch (c.field) {
      case 'from':
      case 'to':
      case 'cc':
      case 'subject':
      case 'body':
        return `${field} ${TEXT_OPERATOR_LABELS[c.operator][k]} “${c.value}”`;
      case 'header':
        return `${c.name} ${TEXT_OPERATOR_LABELS[c.operator][k]} “${c.value}”`;
      case 'size':
        return `${field} ${SIZE_OPERATOR_LABELS[c.operator][k]} ${c.bytes}`;
      case 'sender_scope':
        return `${field} ${VALUE_LABELS[c.value][k]}`;
      case 'importance':
        return `${field} ${VALUE_LABELS[c.value][k]}`;
      case 'sender_department':
        return `${field}${k === 'zh' ? '：' : ': '}${departments.get(c.departmentId) ?? c.departmentId}`;
      default:
        return c.value ? field : `${field} ✗`;
    }
  };
  const act = (a: RuleAction): string => {
    const label = ACTION_LABELS[a.type][k];
    if (a.type === 'add_label') return `${label} ${a.label}`;
    if (a.type === 'forward') return `${label} ${a.to}`;
    return label;
  };
  const joiner = def.match === 'any' ? (k === 'zh' ? ' 或 ' : ' or ') : k === 'zh' ? ' 且 ' : ' and ';
  return `${def.conditions.map(cond).join(joiner)} → ${def.actions.map(act).join(k === 'zh' ? '，' : ', ')}`;
}
