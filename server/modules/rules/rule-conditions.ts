import {
  REGEX_FLAGS,
  REGEX_INPUT_LIMIT,
  validateRegex,
  type Importance,
  type RuleCondition,
  type TextOperator,
} from '../../../shared/rules/rule';

/**
 * Condition matching only: no actions, no IO. The engine (rule-engine.ts) decides what matched
 * conditions lead to, following wildduck's split between filter matching and filter actions.
 */

export interface RuleAddress {
  address: string;
  name?: string;
}

/** What the delivery path knows about a message, reduced to what rules may look at. */
export interface RuleMessage {
  from: RuleAddress | null;
  to: RuleAddress[];
  cc: RuleAddress[];
  subject: string;
  /** Plain-text body; the engine only reads the first MAX_BODY_CHARS of it. */
  text: string;
  /** Lowercased header name → every value of that header, in message order. */
  headers: Record<string, string[]>;
  hasAttachments: boolean;
  size: number;
  importance: Importance;
}

export interface RuleContext {
  isInternalSender: boolean;
  /** One ancestor chain (root … department) per department the sender belongs to. */
  senderDepartmentPaths: string[][];
  /** Addresses of the groups the mailbox owner is a member of. */
  myGroupAddresses: string[];
}

/** Bounds per-message work whatever the rules are: bodies and header values are cut here. */
export const MAX_BODY_CHARS = 32 * 1024;
export const MAX_FIELD_CHARS = 4 * 1024;

/**
 * Characters NFKC leaves unchanged: printable ASCII, CJK unified ideographs and most CJK
 * punctuation (U+3036 and U+3038–303A change; combining U+302A–302F may reorder). Strings made only
 * of these (addresses, most headers, many subjects) skip ICU's comparatively slow normalize.
 */
const MAY_CHANGE_UNDER_NFKC = /[^\t\n\r\x20-\x7e\u4e00-\u9fff\u3001-\u3029\u3030-\u3035\u3037\u303b-\u303f]/;

/** NFKC folds full-width forms (ＡＢＣ, １２３) so users needn't care how a sender typed them. */
export function normalizeText(value: string, cap = MAX_FIELD_CHARS): string {
  const cut = value.length > cap ? value.slice(0, cap) : value;
  return (MAY_CHANGE_UNDER_NFKC.test(cut) ? cut.normalize('NFKC') : cut).toLowerCase();
}

/** Rule values repeat across evaluations; normalise each once. Bounded like the regex cache. */
const needleCache = new Map<string, string>();

function normalizedNeedle(value: string): string {
  let hit = needleCache.get(value);
  if (hit === undefined) {
    if (needleCache.size >= 5000) needleCache.clear();
    hit = normalizeText(value);
    needleCache.set(value, hit);
  }
  return hit;
}

function addressCandidates(list: RuleAddress[]): string[] {
  const out: string[] = [];
  for (const a of list) {
    out.push(normalizeText(a.address));
    if (a.name) out.push(normalizeText(a.name));
  }
  return out;
}

/**
 * A message with its fields normalised on first use, so 50 rules over the same field pay once.
 */
export class PreparedMessage {
  private readonly cache = new Map<string, string[]>();
  private groupHit: boolean | undefined;

  constructor(
    readonly message: RuleMessage,
    readonly context: RuleContext,
  ) {}

  /** Candidate strings for a text field; a condition matches if any candidate does. */
  values(field: string, header?: string): string[] {
    const key = header === undefined ? field : `h:${header}`;
    let hit = this.cache.get(key);
    if (hit) return hit;
    const m = this.message;
    switch (field) {
      case 'from':
        hit = m.from ? addressCandidates([m.from]) : [];
        break;
      case 'to':
        hit = addressCandidates(m.to);
        break;
      case 'cc':
        hit = addressCandidates(m.cc);
        break;
      case 'subject':
        hit = [normalizeText(m.subject)];
        break;
      case 'body':
        hit = [normalizeText(m.text, MAX_BODY_CHARS)];
        break;
      default:
        hit = (m.headers[header ?? ''] ?? []).map((v) => normalizeText(v));
    }
    this.cache.set(key, hit);
    return hit;
  }

  sentToMyGroup(): boolean {
    if (this.groupHit === undefined) {
      const groups = new Set(this.context.myGroupAddresses.map((a) => a.toLowerCase()));
      this.groupHit = [...this.message.to, ...this.message.cc].some((r) =>
        groups.has(r.address.toLowerCase()),
      );
    }
    return this.groupHit;
  }
}

/**
 * Compiled patterns, shared across evaluations. Bounded so a tenant with many distinct patterns
 * cannot grow it without limit; clearing is crude but recompiling is cheap next to a runaway map.
 */
const regexCache = new Map<string, RegExp>();
const REGEX_CACHE_LIMIT = 1000;

export function compilePattern(pattern: string): RegExp {
  const cached = regexCache.get(pattern);
  if (cached) return cached;
  // Re-checked here because stored rules may predate a tightened validator.
  const check = validateRegex(pattern);
  if (!check.ok) throw new Error(`regular expression refused: ${check.reason}`);
  if (regexCache.size >= REGEX_CACHE_LIMIT) regexCache.clear();
  const compiled = new RegExp(pattern, REGEX_FLAGS);
  regexCache.set(pattern, compiled);
  return compiled;
}

function matchOne(candidate: string, operator: TextOperator, needle: string, regex: RegExp | null): boolean {
  switch (operator) {
    case 'contains':
    case 'not_contains':
      return candidate.includes(needle);
    case 'equals':
      return candidate === needle;
    case 'starts_with':
      return candidate.startsWith(needle);
    case 'matches':
      // The validator's backtracking budget assumes at most REGEX_INPUT_LIMIT characters.
      return (regex as RegExp).test(
        candidate.length > REGEX_INPUT_LIMIT ? candidate.slice(0, REGEX_INPUT_LIMIT) : candidate,
      );
  }
}

/** Text operators: positive ones hold if any candidate matches; not_contains holds if none contains. */
export function matchText(candidates: string[], operator: TextOperator, value: string): boolean {
  const regex = operator === 'matches' ? compilePattern(value) : null;
  const needle = operator === 'matches' ? value : normalizedNeedle(value);
  const any = candidates.some((c) => matchOne(c, operator, needle, regex));
  return operator === 'not_contains' ? !any : any;
}

export function matchCondition(condition: RuleCondition, prepared: PreparedMessage): boolean {
  const { message, context } = prepared;
  switch (condition.field) {
    case 'from':
    case 'to':
    case 'cc':
    case 'subject':
    case 'body':
      return matchText(prepared.values(condition.field), condition.operator, condition.value);
    case 'header':
      return matchText(
        prepared.values('header', condition.name.toLowerCase()),
        condition.operator,
        condition.value,
      );
    case 'has_attachment':
      return message.hasAttachments === condition.value;
    case 'size':
      return condition.operator === 'gt' ? message.size > condition.bytes : message.size < condition.bytes;
    case 'sender_scope':
      return context.isInternalSender === (condition.value === 'internal');
    case 'sender_department':
      return context.senderDepartmentPaths.some((path) => path.includes(condition.departmentId));
    case 'sent_to_my_group':
      return prepared.sentToMyGroup() === condition.value;
    case 'importance':
      return message.importance === condition.value;
    default:
      // Stored data from a newer schema: fail this rule loudly rather than guess.
      throw new Error(`unknown condition field: ${(condition as { field: string }).field}`);
  }
}
