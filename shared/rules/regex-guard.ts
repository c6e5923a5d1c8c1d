import safeRegex from 'safe-regex2';

/**
 * Bounds for `matches` conditions. JavaScript cannot interrupt a running RegExp, so safety comes
 * from refusing patterns whose backtracking could blow up and from capping the text they run on:
 * together these keep the worst case of one test near 10 ms (measured on Node 20).
 */
export const REGEX_MAX_PATTERN_LENGTH = 200;
/** Only this many characters of a field are given to a regular expression. */
export const REGEX_INPUT_LIMIT = 2048;
/** Flags every rule pattern is compiled with: case-insensitive, Unicode-aware (Chinese, \p{…}). */
export const REGEX_FLAGS = 'iu';

/**
 * Backtracking steps we accept, estimated as the product of the freedom of every variable
 * repetition (open-ended = the input limit), times the input limit again when the pattern is not
 * anchored at the start. This allows one open-ended repetition (two when anchored with `^`).
 */
const COST_BUDGET = REGEX_INPUT_LIMIT * REGEX_INPUT_LIMIT;

export type RegexVerdict = { ok: true } | { ok: false; reason: string };

interface Shape {
  cost: number;
  backreference: boolean;
  repeatedAlternation: boolean;
  anchored: boolean;
}

/** A small scanner over the pattern source; it only needs quantifiers, groups and alternation. */
function scan(pattern: string): Shape {
  const shape: Shape = { cost: 1, backreference: false, repeatedAlternation: false, anchored: false };
  // Per open group: does it contain a top-level `|`? Index 0 is the whole pattern.
  const groups: boolean[] = [false];
  let lastGroupHadAlternation = false;
  let lastWasGroupEnd = false;
  let i = 0;
  const quantify = (min: number, max: number) => {
    shape.cost *= max === Infinity ? REGEX_INPUT_LIMIT : max - min + 1;
    if (lastWasGroupEnd && lastGroupHadAlternation) shape.repeatedAlternation = true;
  };
  while (i < pattern.length) {
    const c = pattern[i];
    let groupEnd = false;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') shape.backreference = true;
      if ((next === 'p' || next === 'P' || next === 'u') && pattern[i + 2] === '{') {
        i = pattern.indexOf('}', i) + 1 || pattern.length;
      } else {
        i += 2;
      }
    } else if (c === '[') {
      i++;
      while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '(') {
      groups.push(false);
      // Skip the group kind ((?:, (?=, (?<name>) so its `?` is not taken for a quantifier.
      if (pattern[i + 1] !== '?') i++;
      else if (pattern[i + 2] === '<' && !'=!'.includes(pattern[i + 3] ?? '')) {
        i = pattern.indexOf('>', i) + 1 || pattern.length;
      } else i += pattern[i + 2] === '<' ? 4 : 3;
    } else if (c === ')') {
      lastGroupHadAlternation = groups.length > 1 ? (groups.pop() as boolean) : false;
      groupEnd = true;
      i++;
    } else if (c === '|') {
      groups[groups.length - 1] = true;
      i++;
    } else if (c === '*' || c === '+' || c === '?') {
      quantify(c === '+' ? 1 : 0, c === '?' ? 1 : Infinity);
      i += pattern[i + 1] === '?' ? 2 : 1;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (m) {
        const min = Number(m[1]);
        const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
        quantify(min, max);
        i += m[0].length;
        if (pattern[i] === '?') i++;
      } else {
        i++;
      }
    } else {
      i++;
    }
    lastWasGroupEnd = groupEnd;
  }
  shape.anchored = pattern.startsWith('^') && !groups[0];
  if (!shape.anchored) shape.cost *= REGEX_INPUT_LIMIT;
  return shape;
}

/**
 * Decides whether a `matches` pattern may be saved (and, again, run). Refuses invalid syntax,
 * over-long patterns and every shape known to backtrack badly, with a reason a user can act on.
 */
export function validateRegex(pattern: string): RegexVerdict {
  if (pattern.length === 0) return { ok: false, reason: 'The regular expression is empty.' };
  if (pattern.length > REGEX_MAX_PATTERN_LENGTH) {
    return {
      ok: false,
      reason: `The regular expression is ${pattern.length} characters long; at most ${REGEX_MAX_PATTERN_LENGTH} are allowed.`,
    };
  }
  try {
    new RegExp(pattern, REGEX_FLAGS);
  } catch (error) {
    return { ok: false, reason: `Invalid regular expression: ${(error as Error).message}` };
  }
  const shape = scan(pattern);
  if (shape.backreference) {
    return { ok: false, reason: 'Back-references (\\1, \\k<name>) are not allowed: they can run away.' };
  }
  if (!safeRegex(pattern)) {
    return {
      ok: false,
      reason:
        'The regular expression could run away: it nests repetitions such as (a+)+, repeats too often, ' +
        'or uses syntax the safety check cannot analyse (e.g. lookbehind).',
    };
  }
  if (shape.repeatedAlternation) {
    return {
      ok: false,
      reason:
        'The regular expression could run away: a repeated alternation such as (a|ab)* backtracks ' +
        'exponentially. Use a character class like [ab]* or drop the repetition.',
    };
  }
  if (shape.cost > COST_BUDGET) {
    return {
      ok: false,
      reason:
        'The regular expression could run away: use at most one open-ended repetition (*, +, {n,}), ' +
        'or two when it starts with ^, and keep ranges like {0,100} few.',
    };
  }
  return { ok: true };
}
