import safeRegex from 'safe-regex2';

/**
 * Bounds for `matches` conditions. JavaScript cannot interrupt a running RegExp, so safety comes
 * from refusing patterns whose backtracking could blow up and from capping the text they run on:
 * together these keep the worst case of one test in the tens of milliseconds (fuzzed on Node 20).
 */
export const MAX_REGEX_LENGTH = 200;
/** Only this many characters of a field are given to a regular expression. */
export const REGEX_INPUT_LIMIT = 1024;
/** Flags every rule pattern is compiled with: case-insensitive, Unicode-aware (Chinese, \p{…}). */
export const REGEX_FLAGS = 'iu';

/**
 * Backtracking steps we accept per test. The estimate multiplies the freedom of every bounded
 * repetition ({2,5} → 4), the input limit once per open-ended repetition (*, +, {n,}) that shares
 * a kind of character with another (\s+\d+ is linear; \d+\d+ and .*.* are not), and the input
 * limit again when the pattern is not anchored with ^ (the engine retries from every position).
 * Net effect: one overlapping open-ended repetition (two when anchored), with a little room for
 * bounded ranges such as \d{3,4}.
 */
const COST_BUDGET = REGEX_INPUT_LIMIT * REGEX_INPUT_LIMIT * 4;

export type RegexVerdict = { ok: true } | { ok: false; reason: string };

// Coarse kinds of character; a repetition is described by the kinds it can consume.
const DIGIT = 1;
const SPACE = 2;
const LETTER = 4;
const PUNCT = 8; // ASCII punctuation and symbols
const OTHER = 16; // everything beyond ASCII (Chinese text, full-width forms)
const ANY = DIGIT | SPACE | LETTER | PUNCT | OTHER;

function kindOf(ch: string): number {
  if (/[0-9]/.test(ch)) return DIGIT;
  if (/\s/u.test(ch)) return SPACE;
  if (/[a-z_]/i.test(ch)) return LETTER;
  if (ch < '\u0080') return PUNCT;
  // Under the i flag some non-ASCII characters fold onto ASCII letters (K, ſ); stay conservative.
  return ch === '\u212a' || ch === '\u017f' ? ANY : OTHER;
}

/** Kinds matched by `\<next>`; escapes that may stand for anything (\D, \p{…}, \u…) count as ANY. */
function escapeKinds(next: string): number {
  if (next === '' || /[DSWpPuxc0]/.test(next)) return ANY;
  if (next === 'd') return DIGIT;
  if (next === 's' || 'ntrfv'.includes(next)) return SPACE;
  if (next === 'w') return DIGIT | LETTER | OTHER;
  return kindOf(next);
}

/** Kinds matched by a character class starting at pattern[start] === '['; returns [kinds, end]. */
function classKinds(pattern: string, start: number): [number, number] {
  let i = start + 1;
  let kinds = pattern[i] === '^' ? ANY : 0;
  let prev = '';
  while (i < pattern.length && pattern[i] !== ']') {
    if (pattern[i] === '\\') {
      kinds |= escapeKinds(pattern[i + 1] ?? '');
      prev = '';
      i += 2;
    } else if (pattern[i] === '-' && prev && pattern[i + 1] && pattern[i + 1] !== ']') {
      const to = pattern[i + 1];
      const same = kindOf(prev) === kindOf(to) && (kindOf(to) === DIGIT || kindOf(to) === LETTER);
      kinds |= same || (prev >= '\u0080' && to >= '\u0080') ? kindOf(to) : ANY;
      prev = '';
      i += 2;
    } else {
      prev = pattern[i];
      kinds |= kindOf(prev);
      i++;
    }
  }
  return [kinds, i + 1];
}

interface Shape {
  cost: number;
  backreference: boolean;
  repeatedAlternation: boolean;
  anchored: boolean;
}

/** A small scanner over the pattern source: atoms' kinds, quantifiers, groups and alternation. */
function scan(pattern: string): Shape {
  const shape: Shape = { cost: 1, backreference: false, repeatedAlternation: false, anchored: false };
  // Per open group: does it contain a top-level `|`? Index 0 is the whole pattern.
  const groups: boolean[] = [false];
  // Open-ended repetitions per segment; a mandatory character none of the previous repetition
  // can consume (the @ in \w+@\w+) ends a segment, since backtracking cannot move across it.
  const segments: number[][] = [[]];
  let lastOpenEnded = 0;
  let pending = false; // the last atom, not (yet) known to be quantified
  let lastGroupHadAlternation = false;
  let lastWasGroupEnd = false;
  let atomKinds = ANY;
  let i = 0;
  const quantify = (min: number, max: number) => {
    pending = false;
    if (max === Infinity) {
      segments[segments.length - 1].push(atomKinds);
      lastOpenEnded = atomKinds;
    } else shape.cost *= max - min + 1;
    if (lastWasGroupEnd && lastGroupHadAlternation) shape.repeatedAlternation = true;
  };
  const settle = () => {
    if (pending && groups.length === 1 && (atomKinds & lastOpenEnded) === 0 && lastOpenEnded !== 0) {
      segments.push([]);
      lastOpenEnded = 0;
    }
    pending = false;
  };
  while (i < pattern.length) {
    const c = pattern[i];
    if (!(c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(i))))) {
      settle();
    }
    let groupEnd = false;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') shape.backreference = true;
      atomKinds = escapeKinds(next);
      pending = !/[bB]/.test(next);
      if ((next === 'p' || next === 'P' || next === 'u') && pattern[i + 2] === '{') {
        i = pattern.indexOf('}', i) + 1 || pattern.length;
      } else {
        i += 2;
      }
    } else if (c === '[') {
      [atomKinds, i] = classKinds(pattern, i);
      pending = true;
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
      atomKinds = ANY; // a group may consume anything its parts can; not worth computing
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
        atomKinds = kindOf('{');
        pending = true;
        i++;
      }
    } else {
      atomKinds = c === '.' ? ANY : kindOf(c);
      pending = c !== '^' && c !== '$';
      i++;
    }
    lastWasGroupEnd = groupEnd;
  }
  // Open-ended repetitions over disjoint kinds hand over at a fixed point; overlapping ones each
  // try every split, so the degree is the largest number of them that share one kind.
  settle();
  let degree = 0;
  for (const segment of segments) {
    for (const kind of [DIGIT, SPACE, LETTER, PUNCT, OTHER]) {
      degree = Math.max(degree, segment.filter((k) => k & kind).length);
    }
  }
  shape.cost *= REGEX_INPUT_LIMIT ** degree;
  shape.anchored = pattern.startsWith('^') && !groups[0];
  if (!shape.anchored) shape.cost *= REGEX_INPUT_LIMIT;
  return shape;
}

/**
 * Decides whether a `matches` pattern may be saved (and, again, run). Refuses invalid syntax,
 * over-long patterns and every shape known to backtrack badly, with a reason a user can act on.
 */
export function validateRegex(pattern: string): RegexVerdict {
  if (pattern.length === 0) return { ok: false, reason: 'pattern is empty' };
  if (pattern.length > MAX_REGEX_LENGTH) {
    return { ok: false, reason: `pattern is longer than ${MAX_REGEX_LENGTH} characters` };
  }
  try {
    new RegExp(pattern, REGEX_FLAGS);
  } catch (error) {
    const detail = (error as Error).message.replace(/^Invalid regular expression: /, '');
    return { ok: false, reason: `invalid regular expression: ${detail}` };
  }
  const shape = scan(pattern);
  if (shape.backreference) {
    return {
      ok: false,
      reason: 'backreferences (\\1, \\k<name>) are not allowed: they can take exponential time',
    };
  }
  if (!safeRegex(pattern)) {
    return {
      ok: false,
      reason:
        'pattern could take too long: it nests repetitions such as (a+)+, repeats too often, ' +
        'or uses syntax the safety check cannot analyse (e.g. lookbehind)',
    };
  }
  if (shape.repeatedAlternation) {
    return {
      ok: false,
      reason:
        'pattern could take too long: a repeated alternation such as (a|ab)* backtracks ' +
        'exponentially; use a character class like [ab]* or drop the repetition',
    };
  }
  if (shape.cost > COST_BUDGET) {
    return {
      ok: false,
      reason:
        'pattern could take too long: open-ended repetitions (*, +, {n,}) over the same kind of ' +
        'character multiply (as in .*.* or \\d+\\d+); keep one (two when the pattern starts with ^), ' +
        'drop leading or trailing .*, and use few ranges like {0,100}',
    };
  }
  return { ok: true };
}
