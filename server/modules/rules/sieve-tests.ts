import { validateRegex, type RuleCondition, type RuleMatch } from '../../../shared/rules/rule';
import { ALWAYS_CONDITION, EXISTS_PATTERN } from './sieve-export';
import type { SieveArgument, SieveTest } from './sieve-syntax';

/**
 * Sieve tests → rule conditions. A rule is one flat all-of or any-of list, so a test translates to
 * a Formula of that shape or is refused with a reason (Unsupported); it is never approximated.
 */

export interface Formula {
  match: RuleMatch;
  conditions: RuleCondition[];
  /** `true` / `false`, kept apart so allof/anyof can simplify them away. */
  constant?: boolean;
}

export class Unsupported extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const ALWAYS: Formula = { match: 'all', conditions: [], constant: true };
const NEVER: Formula = { match: 'all', conditions: [], constant: false };

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

type GlobPart = { wild: '*' | '?' } | { lit: string };

function parseGlob(glob: string): GlobPart[] {
  const parts: GlobPart[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '\\' && i + 1 < glob.length) parts.push({ lit: glob[++i] });
    else if (c === '*' || c === '?') parts.push({ wild: c });
    else parts.push({ lit: c });
  }
  return parts;
}

function globToRegexBody(glob: string): string {
  return parseGlob(glob)
    .map((p) => ('lit' in p ? escapeRegex(p.lit) : p.wild === '*' ? '[\\s\\S]*' : '[\\s\\S]'))
    .join('');
}

type TextOp = { operator: 'contains' | 'equals' | 'starts_with' | 'matches'; value: string };

/** `:matches` keys: exact shapes become plain operators, the rest an anchored regex. */
function globOp(glob: string): TextOp {
  const parts = parseGlob(glob);
  const literal = (ps: GlobPart[]) =>
    ps.every((p) => 'lit' in p) ? ps.map((p) => (p as { lit: string }).lit).join('') : null;
  const star = (p: GlobPart | undefined) => p !== undefined && 'wild' in p && p.wild === '*';
  const whole = literal(parts);
  if (whole) return { operator: 'equals', value: whole };
  const prefix = star(parts[parts.length - 1]) ? literal(parts.slice(0, -1)) : null;
  if (prefix) return { operator: 'starts_with', value: prefix };
  const inner =
    parts.length > 2 && star(parts[0]) && star(parts[parts.length - 1]) ? literal(parts.slice(1, -1)) : null;
  if (inner) return { operator: 'contains', value: inner };
  if (parts.length > 0 && parts.every((p) => star(p))) return { operator: 'matches', value: EXISTS_PATTERN };
  return { operator: 'matches', value: `^${globToRegexBody(glob)}$` };
}

interface TestOptions {
  matchType: 'contains' | 'is' | 'matches' | 'regex';
  addressPart: 'all' | 'localpart' | 'domain';
  sizeOp: 'over' | 'under' | null;
  strings: string[][];
  numbers: number[];
}

const COMPARATORS = new Set(['i;ascii-casemap', 'i;unicode-casemap']);

function readOptions(t: SieveTest): TestOptions {
  const o: TestOptions = { matchType: 'is', addressPart: 'all', sizeOp: null, strings: [], numbers: [] };
  for (let i = 0; i < t.args.length; i++) {
    const a: SieveArgument = t.args[i];
    if (a.kind === 'strings') o.strings.push(a.values);
    else if (a.kind === 'number') o.numbers.push(a.value);
    else if ([':contains', ':is', ':matches', ':regex'].includes(a.value))
      o.matchType = a.value.slice(1) as TestOptions['matchType'];
    else if ([':all', ':localpart', ':domain'].includes(a.value))
      o.addressPart = a.value.slice(1) as TestOptions['addressPart'];
    else if (a.value === ':over' || a.value === ':under') o.sizeOp = a.value.slice(1) as 'over' | 'under';
    else if (a.value === ':text' && t.name === 'body') continue;
    else if (a.value === ':comparator') {
      const next = t.args[++i];
      const name = next?.kind === 'strings' ? next.values[0] : '';
      // OrgMail always compares case-insensitively; a case-sensitive script cannot be honoured.
      if (!COMPARATORS.has(name)) throw new Unsupported(`comparator "${name}" is not supported`, a.line);
    } else throw new Unsupported(`${t.name} ${a.value} is not supported`, a.line);
  }
  return o;
}

function textOp(o: TestOptions, key: string, line: number): TextOp {
  const part = o.addressPart;
  if (part === 'all') {
    if (o.matchType === 'contains') return { operator: 'contains', value: key };
    if (o.matchType === 'is')
      return key ? { operator: 'equals', value: key } : { operator: 'matches', value: '^$' };
    if (o.matchType === 'regex') return { operator: 'matches', value: key };
    return globOp(key);
  }
  if (o.matchType === 'regex') throw new Unsupported(`:${part} with :regex is not supported`, line);
  const body =
    o.matchType === 'contains'
      ? `[^@]*${escapeRegex(key)}[^@]*`
      : o.matchType === 'is'
        ? escapeRegex(key)
        : globToRegexBody(key);
  return { operator: 'matches', value: part === 'domain' ? `@${body}$` : `^${body}@` };
}

function checked(c: RuleCondition, line: number): RuleCondition {
  if ('operator' in c && c.operator === 'matches') {
    const check = validateRegex(c.value);
    if (!check.ok) throw new Unsupported(`pattern refused: ${check.reason}`, line);
  }
  return c;
}

function anyOf(conditions: RuleCondition[]): Formula {
  return { match: conditions.length === 1 ? 'all' : 'any', conditions };
}

function textTest(t: SieveTest): Formula {
  const o = readOptions(t);
  const [names, keys] = t.name === 'body' ? [['body'], o.strings[0]] : [o.strings[0], o.strings[1]];
  if (!names?.length || !keys?.length || o.strings.length > (t.name === 'body' ? 1 : 2)) {
    throw new Unsupported(`${t.name} needs a header list and a key list`, t.line);
  }
  const conditions: RuleCondition[] = [];
  for (const rawName of names) {
    const name = rawName.toLowerCase();
    for (const key of keys) {
      const op = textOp(o, key, t.line);
      let c: RuleCondition;
      if (t.name === 'body') c = { field: 'body', ...op };
      else if (t.name === 'address') {
        if (name !== 'from' && name !== 'to' && name !== 'cc')
          throw new Unsupported(`address test on "${rawName}" is not supported`, t.line);
        c = { field: name, ...op };
      } else if (name === 'subject') c = { field: 'subject', ...op };
      else {
        if (o.addressPart !== 'all') throw new Unsupported(`header test with :${o.addressPart}`, t.line);
        c = { field: 'header', name, ...op };
      }
      conditions.push(checked(c, t.line));
    }
  }
  return anyOf(conditions);
}

function negate(c: RuleCondition): RuleCondition | null {
  switch (c.field) {
    case 'has_attachment':
    case 'sent_to_my_group':
      return { ...c, value: !c.value };
    case 'sender_scope':
      return { ...c, value: c.value === 'internal' ? 'external' : 'internal' };
    case 'size':
      if (c.operator === 'gt') return { field: 'size', operator: 'lt', bytes: c.bytes + 1 };
      return c.bytes > 0 ? { field: 'size', operator: 'gt', bytes: c.bytes - 1 } : null;
    case 'sender_department':
    case 'importance':
      return null;
    default:
      if (c.operator === 'contains') return { ...c, operator: 'not_contains' };
      if (c.operator === 'not_contains') return { ...c, operator: 'contains' };
      return null;
  }
}

export function negateFormula(f: Formula, line: number): Formula {
  if (f.constant !== undefined) return f.constant ? NEVER : ALWAYS;
  const negated = f.conditions.map((c) => {
    const n = negate(c);
    if (!n)
      throw new Unsupported(
        'this test cannot be negated in an OrgMail rule (only "contains" and yes/no tests can)',
        line,
      );
    return n;
  });
  // De Morgan: not(all) = any(not), not(any) = all(not).
  return {
    match: f.conditions.length === 1 ? 'all' : f.match === 'all' ? 'any' : 'all',
    conditions: negated,
  };
}

/** allof/anyof flatten into one list only when every child already has that shape. */
export function combine(kind: RuleMatch, children: Formula[], line: number): Formula {
  const absorbing = kind === 'all' ? false : true;
  if (children.some((f) => f.constant === absorbing)) return absorbing ? ALWAYS : NEVER;
  const rest = children.filter((f) => f.constant === undefined);
  if (rest.length === 0) return absorbing ? NEVER : ALWAYS;
  if (rest.length === 1) return rest[0];
  const conditions: RuleCondition[] = [];
  for (const f of rest) {
    if (f.conditions.length > 1 && f.match !== kind) {
      throw new Unsupported(
        `${kind === 'all' ? 'allof' : 'anyof'} mixing all-of and any-of cannot be one OrgMail rule`,
        line,
      );
    }
    conditions.push(...f.conditions);
  }
  return { match: kind, conditions };
}

export function convertTest(t: SieveTest): Formula {
  switch (t.name) {
    case 'true':
      return ALWAYS;
    case 'false':
      return NEVER;
    case 'allof':
    case 'anyof':
      return combine(t.name === 'allof' ? 'all' : 'any', t.tests.map(convertTest), t.line);
    case 'not':
      if (t.tests.length !== 1) throw new Unsupported('not takes one test', t.line);
      return negateFormula(convertTest(t.tests[0]), t.line);
    case 'header':
    case 'address':
    case 'body':
      return textTest(t);
    case 'exists': {
      const o = readOptions(t);
      const names = o.strings[0] ?? [];
      if (!names.length) throw new Unsupported('exists needs header names', t.line);
      // exists with several names means all of them are present.
      const conditions = names.map((n): RuleCondition => ({
        field: 'header',
        name: n.toLowerCase(),
        operator: 'matches',
        value: EXISTS_PATTERN,
      }));
      return { match: 'all', conditions };
    }
    case 'size': {
      const o = readOptions(t);
      if (!o.sizeOp || o.numbers.length !== 1)
        throw new Unsupported('size needs :over or :under and a number', t.line);
      return {
        match: 'all',
        conditions: [{ field: 'size', operator: o.sizeOp === 'over' ? 'gt' : 'lt', bytes: o.numbers[0] }],
      };
    }
    default:
      throw new Unsupported(`test "${t.name}" is not supported`, t.line);
  }
}

/** Conditions for a rule: `true` becomes ALWAYS_CONDITION since a rule needs at least one. */
export function formulaConditions(f: Formula): { match: RuleMatch; conditions: RuleCondition[] } {
  if (f.constant !== undefined) return { match: 'all', conditions: [ALWAYS_CONDITION] };
  return { match: f.match, conditions: f.conditions };
}
