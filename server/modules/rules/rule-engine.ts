import type { Rule, RuleAction } from '../../../shared/rules/rule';
import { matchCondition, PreparedMessage, type RuleContext, type RuleMessage } from './rule-conditions';

export type { RuleAddress, RuleContext, RuleMessage } from './rule-conditions';

export interface RuleError {
  ruleId: string;
  message: string;
}

export interface RuleEvaluation {
  /** Deduplicated, conflict-resolved actions; `stop` is control flow and never appears here. */
  actions: RuleAction[];
  matchedRuleIds: string[];
  errors: RuleError[];
}

/** Organization rules first (an admin's policy runs before the user's own), then `order`, then id. */
export function sortRules(rules: readonly Rule[]): Rule[] {
  return [...rules].sort((a, b) => {
    if (a.scope !== b.scope) return a.scope === 'organization' ? -1 : 1;
    if (a.order !== b.order) return a.order - b.order;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

function ruleMatches(rule: Rule, prepared: PreparedMessage): boolean {
  if (rule.match === 'all') return rule.conditions.every((c) => matchCondition(c, prepared));
  return rule.conditions.some((c) => matchCondition(c, prepared));
}

/**
 * Combines the actions of every matched rule into what delivery should do.
 *
 * - `delete` overrides every `move_to_folder`: a message to be deleted is not filed anywhere.
 *   Labels, flags, forwards, replies and notifications still apply (forward-then-delete is a
 *   common "redirect" setup).
 * - Only the first `move_to_folder` in evaluation order is kept, because a message lives in one
 *   folder; evaluation order puts organization rules first, so an admin's filing wins.
 * - Only the first `auto_reply` is kept: one message gets at most one automatic answer.
 * - Other actions are deduplicated (same label, same forward address, repeated flags).
 */
export function resolveActions(collected: readonly RuleAction[]): RuleAction[] {
  const deleting = collected.some((a) => a.type === 'delete');
  const seen = new Set<string>();
  const out: RuleAction[] = [];
  for (const action of collected) {
    let key: string;
    switch (action.type) {
      case 'stop':
        continue;
      case 'move_to_folder':
        if (deleting) continue;
        key = 'move';
        break;
      case 'auto_reply':
        key = 'auto_reply';
        break;
      case 'add_label':
        key = `label:${action.label.toLowerCase()}`;
        break;
      case 'forward':
        key = `forward:${action.to.toLowerCase()}`;
        break;
      default:
        key = action.type;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(action);
  }
  return out;
}

/**
 * Pure: message summary + rules → actions. Never throws for a rule's sake: a rule that fails
 * (bad stored regex, unknown condition) is reported in `errors` and skipped, so the message is
 * still delivered with whatever the other rules decided (and to the inbox if nothing matched).
 */
export function evaluateRules(
  message: RuleMessage,
  rules: readonly Rule[],
  context: RuleContext,
): RuleEvaluation {
  const prepared = new PreparedMessage(message, context);
  const collected: RuleAction[] = [];
  const matchedRuleIds: string[] = [];
  const errors: RuleError[] = [];
  for (const rule of sortRules(rules)) {
    if (!rule.enabled) continue;
    let matched: boolean;
    try {
      matched = ruleMatches(rule, prepared);
    } catch (error) {
      errors.push({ ruleId: rule.id, message: error instanceof Error ? error.message : String(error) });
      continue;
    }
    if (!matched) continue;
    matchedRuleIds.push(rule.id);
    collected.push(...rule.actions);
    if (rule.actions.some((a) => a.type === 'stop')) break;
  }
  return { actions: resolveActions(collected), matchedRuleIds, errors };
}
