/**
 * RFC 5228 lexical and syntactic layer: text → command tree with line numbers. It knows nothing
 * about which commands OrgMail supports; sieve-import.ts decides that and reports the rest.
 */

export type SieveToken =
  | { kind: 'string'; value: string; line: number }
  | { kind: 'number'; value: number; line: number }
  | { kind: 'tag' | 'identifier'; value: string; line: number }
  | { kind: 'punct'; value: string; line: number };

export interface SieveComment {
  line: number;
  text: string;
}

export type SieveArgument =
  | { kind: 'strings'; values: string[]; line: number }
  | { kind: 'number'; value: number; line: number }
  | { kind: 'tag'; value: string; line: number };

export interface SieveTest {
  name: string;
  args: SieveArgument[];
  tests: SieveTest[];
  line: number;
}

export interface SieveCommand {
  name: string;
  args: SieveArgument[];
  tests: SieveTest[];
  block: SieveCommand[] | null;
  line: number;
  endLine: number;
}

export class SieveSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const QUANTIFIERS: Record<string, number> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** Quoted strings: `\"` and `\\` are escapes; any other backslash-char pair yields the char. */
function readQuoted(src: string, start: number, line: number): { value: string; end: number; lines: number } {
  let value = '';
  let lines = 0;
  for (let i = start + 1; i < src.length; i++) {
    const c = src[i];
    if (c === '\\' && i + 1 < src.length) {
      value += src[++i];
      if (src[i] === '\n') lines++;
    } else if (c === '"') {
      return { value, end: i + 1, lines };
    } else {
      if (c === '\n') lines++;
      value += c;
    }
  }
  throw new SieveSyntaxError('unterminated string', line);
}

/** `text:` multi-line strings end at a line holding a single dot; leading `..` is unstuffed. */
function readMultiline(
  src: string,
  start: number,
  line: number,
): { value: string; end: number; lines: number } {
  const firstBreak = src.indexOf('\n', start);
  if (firstBreak < 0) throw new SieveSyntaxError('unterminated text: block', line);
  const out: string[] = [];
  let pos = firstBreak + 1;
  let lines = 1;
  while (pos <= src.length) {
    const next = src.indexOf('\n', pos);
    const raw = src.slice(pos, next < 0 ? src.length : next).replace(/\r$/, '');
    lines++;
    if (raw === '.') {
      // Every consumed newline counts, including the one ending the dot line.
      const value = out.join('\n') + (out.length ? '\n' : '');
      return next < 0 ? { value, end: src.length, lines: lines - 1 } : { value, end: next + 1, lines };
    }
    out.push(raw.startsWith('..') ? raw.slice(1) : raw);
    if (next < 0) break;
    pos = next + 1;
  }
  throw new SieveSyntaxError('unterminated text: block', line);
}

export function tokenize(src: string): {
  tokens: SieveToken[];
  comments: SieveComment[];
  error: SieveSyntaxError | null;
} {
  const tokens: SieveToken[] = [];
  const comments: SieveComment[] = [];
  let line = 1;
  let i = 0;
  try {
    lex();
  } catch (error) {
    if (!(error instanceof SieveSyntaxError)) throw error;
    // Tokens before the error are still good; the parser keeps the commands they complete.
    return { tokens, comments, error };
  }
  return { tokens, comments, error: null };

  function lex(): void {
    while (i < src.length) {
      const c = src[i];
      if (c === '\n') {
        line++;
        i++;
      } else if (c === ' ' || c === '\t' || c === '\r') {
        i++;
      } else if (c === '#') {
        const end = src.indexOf('\n', i);
        comments.push({ line, text: src.slice(i + 1, end < 0 ? src.length : end).trim() });
        i = end < 0 ? src.length : end;
      } else if (src.startsWith('/*', i)) {
        const end = src.indexOf('*/', i + 2);
        if (end < 0) throw new SieveSyntaxError('unterminated comment', line);
        line += (src.slice(i, end).match(/\n/g) ?? []).length;
        i = end + 2;
      } else if (c === '"') {
        const s = readQuoted(src, i, line);
        tokens.push({ kind: 'string', value: s.value, line });
        line += s.lines;
        i = s.end;
      } else if (/[0-9]/.test(c)) {
        const m = /^([0-9]+)([KMG]?)/i.exec(src.slice(i, i + 24)) as RegExpExecArray;
        tokens.push({ kind: 'number', value: Number(m[1]) * (QUANTIFIERS[m[2].toUpperCase()] ?? 1), line });
        i += m[0].length;
      } else if (c === ':' || /[A-Za-z_]/.test(c)) {
        const m = /^:?[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i, i + 100));
        if (!m) throw new SieveSyntaxError(`unexpected "${c}"`, line);
        const word = m[0];
        if (word.toLowerCase() === 'text' && src[i + 4] === ':') {
          const s = readMultiline(src, i + 5, line);
          tokens.push({ kind: 'string', value: s.value, line });
          line += s.lines;
          i = s.end;
        } else {
          const tag = word.startsWith(':');
          tokens.push({ kind: tag ? 'tag' : 'identifier', value: word.toLowerCase(), line });
          i += word.length;
        }
      } else if ('[](){},;'.includes(c)) {
        tokens.push({ kind: 'punct', value: c, line });
        i++;
      } else {
        throw new SieveSyntaxError(`unexpected "${c}"`, line);
      }
    }
  }
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: SieveToken[]) {}

  private peek(): SieveToken | undefined {
    return this.tokens[this.pos];
  }

  private lastLine(): number {
    return this.tokens[Math.min(this.pos, this.tokens.length - 1)]?.line ?? 1;
  }

  private isPunct(value: string): boolean {
    const t = this.peek();
    return t?.kind === 'punct' && t.value === value;
  }

  private expectPunct(value: string): void {
    if (!this.isPunct(value)) {
      const t = this.peek();
      throw new SieveSyntaxError(
        `expected "${value}"${t ? ` but found "${String(t.value)}"` : ' at end of script'}`,
        this.lastLine(),
      );
    }
    this.pos++;
  }

  private identifier(): { name: string; line: number } {
    const t = this.peek();
    if (t?.kind !== 'identifier')
      throw new SieveSyntaxError('expected a command or test name', this.lastLine());
    this.pos++;
    return { name: t.value, line: t.line };
  }

  private args(): SieveArgument[] {
    const out: SieveArgument[] = [];
    for (;;) {
      const t = this.peek();
      if (!t) return out;
      if (t.kind === 'string') {
        out.push({ kind: 'strings', values: [t.value], line: t.line });
        this.pos++;
      } else if (t.kind === 'number' || t.kind === 'tag') {
        out.push(
          t.kind === 'number'
            ? { kind: 'number', value: t.value, line: t.line }
            : { kind: 'tag', value: t.value, line: t.line },
        );
        this.pos++;
      } else if (this.isPunct('[')) {
        this.pos++;
        const values: string[] = [];
        for (;;) {
          const s = this.peek();
          if (s?.kind !== 'string') throw new SieveSyntaxError('expected a string in list', this.lastLine());
          values.push(s.value);
          this.pos++;
          if (this.isPunct(',')) this.pos++;
          else break;
        }
        this.expectPunct(']');
        out.push({ kind: 'strings', values, line: t.line });
      } else {
        return out;
      }
    }
  }

  /** A test list `(t1, t2, ...)` or a single test, as both tests and commands take them. */
  private testList(): SieveTest[] {
    const tests: SieveTest[] = [];
    if (this.isPunct('(')) {
      this.pos++;
      tests.push(this.test());
      while (this.isPunct(',')) {
        this.pos++;
        tests.push(this.test());
      }
      this.expectPunct(')');
    } else if (this.peek()?.kind === 'identifier') {
      tests.push(this.test());
    }
    return tests;
  }

  test(): SieveTest {
    const { name, line } = this.identifier();
    const args = this.args();
    const tests = this.testList();
    return { name, args, tests, line };
  }

  command(): SieveCommand {
    const { name, line } = this.identifier();
    const args = this.args();
    const tests = this.testList();
    if (this.isPunct(';')) {
      const endLine = this.peek()?.line ?? line;
      this.pos++;
      return { name, args, tests, block: null, line, endLine };
    }
    this.expectPunct('{');
    const block: SieveCommand[] = [];
    while (!this.isPunct('}')) {
      if (!this.peek()) throw new SieveSyntaxError('missing "}"', this.lastLine());
      block.push(this.command());
    }
    const endLine = this.peek()?.line ?? line;
    this.pos++;
    return { name, args, tests, block, line, endLine };
  }

  done(): boolean {
    return this.pos >= this.tokens.length;
  }
}

/**
 * Parses as many top-level commands as it can. A syntax error ends parsing (what follows cannot be
 * trusted) but keeps the commands before it, and is returned for the caller to report.
 */
export function parseSieve(src: string): {
  commands: SieveCommand[];
  comments: SieveComment[];
  error: SieveSyntaxError | null;
} {
  const commands: SieveCommand[] = [];
  const lexed = tokenize(src);
  const comments = lexed.comments;
  try {
    const parser = new Parser(lexed.tokens);
    while (!parser.done()) commands.push(parser.command());
    return { commands, comments, error: lexed.error };
  } catch (error) {
    // A lexer error explains the parser's complaint about the truncated tail better.
    if (error instanceof SieveSyntaxError) return { commands, comments, error: lexed.error ?? error };
    throw error;
  }
}

/** Quotes a string for a Sieve script (only `"` and `\` need escaping). */
export function quoteSieve(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
