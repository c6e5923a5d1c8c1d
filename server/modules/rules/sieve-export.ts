import { CONDITION_LABELS, type Rule, type RuleAction, type RuleCondition } from '../../../shared/rules/rule';
import { sortRules } from './rule-engine';
import { quoteSieve } from './sieve-syntax';

/**
 * Rules → Sieve (RFC 5228 with fileinto, imap4flags, vacation, body and regex). A rule whose
 * conditions have no Sieve equivalent is written as a comment, never as a weaker `if`: dropping
 * one condition of "delete if it has an attachment" would delete everything elsewhere.
 */

/** `if true` has no rule form (conditions are 1..20); this always-true condition stands in for it. */
export const ALWAYS_CONDITION: RuleCondition = {
  field: 'size',
  operator: 'lt',
  bytes: Number.MAX_SAFE_INTEGER,
};
/** Sieve cannot notify DingTalk; a marker comment keeps the action through a round trip, harmlessly. */
export const NOTIFY_MARKER = 'orgmail: notify_dingtalk';
/** Imported `fileinto` targets are folder names; the service resolves them to ids when saving. */
export const FOLDER_NAME_PREFIX = 'name:';
/** A header condition `matches "^"` holds exactly when the header is present: Sieve's `exists`. */
export const EXISTS_PATTERN = '^';

export interface SieveExportOptions {
  /** Folder id → folder name for `fileinto`; defaults to stripping FOLDER_NAME_PREFIX. */
  folderName?: (folderId: string) => string | undefined;
}

class NotExportable extends Error {}

function isAlways(c: RuleCondition): boolean {
  return c.field === 'size' && c.operator === 'lt' && c.bytes === Number.MAX_SAFE_INTEGER;
}

/** In `:matches` keys, `*`, `?` and `\` are wildcards/escapes; a literal prefix must escape them. */
function globEscape(value: string): string {
  return value.replace(/[\\*?]/g, (c) => `\\${c}`);
}

function textTest(
  head: string,
  target: string,
  operator: string,
  value: string,
  requires: Set<string>,
): string {
  const tail = target ? `${target} ` : '';
  switch (operator) {
    case 'contains':
      return `${head} :contains ${tail}${quoteSieve(value)}`;
    case 'not_contains':
      return `not ${head} :contains ${tail}${quoteSieve(value)}`;
    case 'equals':
      return `${head} :is ${tail}${quoteSieve(value)}`;
    case 'starts_with':
      return `${head} :matches ${tail}${quoteSieve(globEscape(value) + '*')}`;
    default:
      requires.add('regex');
      return `${head} :regex ${tail}${quoteSieve(value)}`;
  }
}

function conditionTest(c: RuleCondition, requires: Set<string>): string {
  if (isAlways(c)) return 'true';
  switch (c.field) {
    case 'subject':
      return textTest('header', quoteSieve('subject'), c.operator, c.value, requires);
    case 'from':
    case 'to':
    case 'cc':
      return textTest('address :all', quoteSieve(c.field), c.operator, c.value, requires);
    case 'body':
      requires.add('body');
      return textTest('body :text', '', c.operator, c.value, requires);
    case 'header':
      if (c.operator === 'matches' && c.value === EXISTS_PATTERN) return `exists ${quoteSieve(c.name)}`;
      return textTest('header', quoteSieve(c.name), c.operator, c.value, requires);
    case 'size':
      return `size ${c.operator === 'gt' ? ':over' : ':under'} ${c.bytes}`;
    default:
      throw new NotExportable(`"${CONDITION_LABELS[c.field].en}" has no Sieve equivalent`);
  }
}

function actionLines(a: RuleAction, requires: Set<string>, options: SieveExportOptions): string[] {
  switch (a.type) {
    case 'move_to_folder': {
      requires.add('fileinto');
      const fallback = a.folderId.startsWith(FOLDER_NAME_PREFIX)
        ? a.folderId.slice(FOLDER_NAME_PREFIX.length)
        : a.folderId;
      return [`fileinto ${quoteSieve(options.folderName?.(a.folderId) ?? fallback)};`];
    }
    case 'add_label':
      // imap4flags splits flag strings on spaces, so such a label would become several.
      if (/\s/.test(a.label)) return [`# not exported: label ${quoteSieve(a.label)} contains spaces`];
      requires.add('imap4flags');
      return [`addflag ${quoteSieve(a.label)};`];
    case 'mark_read':
      requires.add('imap4flags');
      return [`addflag ${quoteSieve('\\Seen')};`];
    case 'mark_important':
      requires.add('imap4flags');
      return [`addflag ${quoteSieve('\\Flagged')};`];
    case 'forward':
      return [`redirect ${quoteSieve(a.to)};`];
    case 'auto_reply':
      requires.add('vacation');
      return [
        `vacation ${a.subject !== undefined ? `:subject ${quoteSieve(a.subject)} ` : ''}${quoteSieve(a.body)};`,
      ];
    case 'delete':
      return ['discard;'];
    case 'stop':
      return ['stop;'];
    case 'notify_dingtalk':
      return [`# ${NOTIFY_MARKER}`];
  }
}

function ruleTest(rule: Rule, requires: Set<string>): string {
  const tests = rule.conditions.map((c) => conditionTest(c, requires));
  let test =
    tests.length === 1 ? tests[0] : `${rule.match === 'all' ? 'allof' : 'anyof'}(${tests.join(', ')})`;
  // A disabled rule is kept, guarded by `false`, so that it survives a round trip without running.
  if (!rule.enabled) test = `allof(false, ${test})`;
  return test;
}

export function exportSieve(rules: readonly Rule[], options: SieveExportOptions = {}): string {
  const requires = new Set<string>();
  const body: string[] = [];
  for (const rule of sortRules(rules)) {
    // Names may hold newlines from older clients; a comment must stay on one line.
    body.push(`# rule: ${rule.name.replace(/\s+/g, ' ')}`);
    const local = new Set<string>();
    let test: string;
    try {
      test = ruleTest(rule, local);
    } catch (error) {
      if (!(error instanceof NotExportable)) throw error;
      body.push(`# not exported: ${error.message}`, '');
      continue;
    }
    const lines = rule.actions.flatMap((a) => actionLines(a, local, options));
    for (const r of local) requires.add(r);
    body.push(`if ${test} {`, ...lines.map((l) => `  ${l}`), '}', '');
  }
  const head = ['# OrgMail mail rules (Sieve, RFC 5228)'];
  if (requires.size) head.push(`require [${[...requires].sort().map(quoteSieve).join(', ')}];`);
  return [...head, '', ...body].join('\n').replace(/\n+$/, '\n');
}
