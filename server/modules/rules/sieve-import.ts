import { Rule, type RuleAction, type RuleCondition, type RuleScope } from '../../../shared/rules/rule';
import { ALWAYS_CONDITION, FOLDER_NAME_PREFIX, NOTIFY_MARKER } from './sieve-export';
import { parseSieve, type SieveArgument, type SieveComment, type SieveCommand } from './sieve-syntax';
import {
  combine,
  convertTest,
  formulaConditions,
  negateFormula,
  Unsupported,
  type Formula,
} from './sieve-tests';

/**
 * Sieve → rules. Everything OrgMail cannot represent exactly is reported with its line; a rule
 * whose test cannot be translated is skipped as a whole (a partial condition would widen it),
 * while an untranslatable action is skipped on its own and the rest of the rule kept.
 */

export interface SieveProblem {
  line: number;
  text: string;
  reason: string;
}

export interface SieveImportResult {
  rules: Rule[];
  problems: SieveProblem[];
}

export interface SieveImportOptions {
  scope?: RuleScope;
  /** Ids are `${idPrefix}${n}`; the storage layer replaces them with its own on save. */
  idPrefix?: string;
}

const CAPABILITIES = new Set(['fileinto', 'vacation', 'imap4flags', 'body', 'regex']);
const ACTION_COMMANDS = new Set(['fileinto', 'redirect', 'discard', 'stop', 'keep', 'vacation', 'addflag']);

interface Located {
  line: number;
  action: RuleAction;
}

function strings(args: SieveArgument[]): string[] {
  return args.flatMap((a) => (a.kind === 'strings' ? a.values : []));
}

type TagArgument = Extract<SieveArgument, { kind: 'tag' }>;

function tagsExcept(args: SieveArgument[], allowed: string[]): TagArgument[] {
  return args.filter((a): a is TagArgument => a.kind === 'tag' && !allowed.includes(a.value));
}

class Importer {
  readonly rules: Rule[] = [];
  readonly problems: SieveProblem[] = [];
  private readonly lines: string[];

  constructor(
    script: string,
    private readonly comments: SieveComment[],
    private readonly options: SieveImportOptions,
  ) {
    this.lines = script.split('\n');
  }

  report(line: number, reason: string): void {
    const text = (this.lines[line - 1] ?? '').trim().slice(0, 200);
    this.problems.push({ line, text, reason });
  }

  private action(c: SieveCommand): RuleAction[] {
    const values = strings(c.args);
    const extraTags = tagsExcept(c.args, c.name === 'vacation' ? [':days', ':subject'] : []);
    if (c.name !== 'vacation' && extraTags.length)
      throw new Unsupported(`${c.name} ${extraTags.map((t) => t.value).join(' ')} is not supported`, c.line);
    switch (c.name) {
      case 'fileinto':
        if (values.length !== 1) throw new Unsupported('fileinto takes one folder name', c.line);
        return [{ type: 'move_to_folder', folderId: FOLDER_NAME_PREFIX + values[0] }];
      case 'redirect':
        if (values.length !== 1) throw new Unsupported('redirect takes one address', c.line);
        return [{ type: 'forward', to: values[0] }];
      case 'discard':
        return [{ type: 'delete' }];
      case 'stop':
        return [{ type: 'stop' }];
      case 'keep':
        // Delivery keeps the message unless a rule deletes it; keep adds nothing to do.
        return [];
      case 'addflag':
        return values
          .flatMap((v) => v.split(/\s+/).filter(Boolean))
          .map((flag): RuleAction => {
            if (flag.toLowerCase() === '\\seen') return { type: 'mark_read' };
            if (flag.toLowerCase() === '\\flagged') return { type: 'mark_important' };
            if (flag.startsWith('\\')) throw new Unsupported(`flag ${flag} is not supported`, c.line);
            return { type: 'add_label', label: flag };
          });
      default:
        return [this.vacation(c, extraTags)];
    }
  }

  private vacation(c: SieveCommand, extraTags: TagArgument[]): RuleAction {
    for (const tag of extraTags) this.report(tag.line, `vacation ${tag.value} is ignored`);
    // Reply frequency is the server's auto-reply policy (once per sender per 4 days), not part of
    // the rule: a different :days is reported rather than silently dropped.
    const daysAt = c.args.findIndex((a) => a.kind === 'tag' && a.value === ':days');
    if (daysAt >= 0) {
      const days = c.args[daysAt + 1];
      const value = days?.kind === 'number' ? days.value : NaN;
      if (value !== 4) {
        this.report(
          c.line,
          `vacation :days ${Number.isNaN(value) ? '?' : value} is replaced by OrgMail's once per sender per 4 days`,
        );
      }
    }
    let subject: string | undefined;
    let body: string | undefined;
    for (let i = 0; i < c.args.length; i++) {
      const a = c.args[i];
      if (a.kind === 'tag') {
        const next = c.args[i + 1];
        if (a.value === ':subject' && next?.kind === 'strings') subject = next.values[0];
        if (next && next.kind !== 'tag') i++;
      } else if (a.kind === 'strings') body = a.values[0];
    }
    if (!body) throw new Unsupported('vacation needs a reason', c.line);
    return { type: 'auto_reply', ...(subject !== undefined ? { subject } : {}), body };
  }

  /** Block → actions, with marker comments merged in by line so their place is kept. */
  blockActions(block: SieveCommand[], from: number, to: number): RuleAction[] {
    const located: Located[] = [];
    for (const c of block) {
      if (!ACTION_COMMANDS.has(c.name)) {
        this.report(
          c.line,
          c.name === 'if' ? 'nested if is not supported' : `command "${c.name}" is not supported`,
        );
        continue;
      }
      try {
        for (const action of this.action(c)) located.push({ line: c.line, action });
      } catch (error) {
        if (!(error instanceof Unsupported)) throw error;
        this.report(error.line, error.message);
      }
    }
    for (const comment of this.comments) {
      if (comment.line > from && comment.line < to && comment.text === NOTIFY_MARKER) {
        located.push({ line: comment.line, action: { type: 'notify_dingtalk' } });
      }
    }
    return located.sort((a, b) => a.line - b.line).map((l) => l.action);
  }

  private nameFor(line: number, fallback: string): string {
    const c = this.comments.find((x) => x.line === line - 1 && x.text.startsWith('rule:'));
    return c?.text.slice('rule:'.length).trim() || fallback;
  }

  addRule(
    line: number,
    name: string,
    enabled: boolean,
    formula: { match: 'all' | 'any'; conditions: RuleCondition[] },
    actions: RuleAction[],
  ): void {
    if (!actions.length) {
      this.report(line, 'rule has no actions OrgMail can perform; skipped');
      return;
    }
    const candidate = {
      id: `${this.options.idPrefix ?? 'sieve-'}${this.rules.length + 1}`,
      name: name.slice(0, 200),
      enabled,
      scope: this.options.scope ?? 'personal',
      order: this.rules.length,
      match: formula.match,
      conditions: formula.conditions,
      actions,
    };
    const parsed = Rule.safeParse(candidate);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      this.report(line, `rule is not valid: ${issues}`);
      return;
    }
    this.rules.push(parsed.data);
  }

  /** Top-level `allof(false, …)` is how exportSieve keeps a disabled rule; other `false` is just false. */
  private topTest(c: SieveCommand): { enabled: boolean; formula: Formula } {
    const test = c.tests[0];
    if (!test || c.tests.length !== 1) throw new Unsupported(`${c.name} needs one test`, c.line);
    if (test.name === 'false')
      return { enabled: false, formula: { match: 'all', conditions: [ALWAYS_CONDITION] } };
    if (test.name === 'allof' && test.tests.some((t) => t.name === 'false')) {
      const rest = test.tests.filter((t) => t.name !== 'false');
      return { enabled: false, formula: combine('all', rest.map(convertTest), test.line) };
    }
    return { enabled: true, formula: convertTest(test) };
  }

  /**
   * if/elsif/else as separate rules. A later branch runs only when earlier tests failed, so it
   * gets their negations added, unless every earlier branch ends in `stop` (then order suffices).
   */
  chain(branches: SieveCommand[]): void {
    const previous: Formula[] = [];
    let allStopped = true;
    let broken = false;
    for (const c of branches) {
      const name = this.nameFor(c.line, `Sieve rule (line ${c.line})`);
      const actions = this.blockActions(c.block ?? [], c.line, c.endLine);
      if (broken) {
        this.report(c.line, `${c.name} follows a branch that could not be imported; skipped`);
        continue;
      }
      try {
        const own =
          c.name === 'else'
            ? { enabled: true, formula: { match: 'all', conditions: [], constant: true } as Formula }
            : this.topTest(c);
        const guards = allStopped ? [] : previous.map((f) => negateFormula(f, c.line));
        const formula = combine('all', [...guards, own.formula], c.line);
        this.addRule(c.line, name, own.enabled, formulaConditions(formula), actions);
        previous.push(own.formula);
      } catch (error) {
        if (!(error instanceof Unsupported)) throw error;
        this.report(error.line, error.message);
        broken = true;
      }
      if (actions[actions.length - 1]?.type !== 'stop') allStopped = false;
    }
  }

  require(c: SieveCommand): void {
    for (const cap of strings(c.args)) {
      if (!CAPABILITIES.has(cap)) this.report(c.line, `extension "${cap}" is not supported`);
    }
  }
}

export function importSieve(script: string, options: SieveImportOptions = {}): SieveImportResult {
  const parsed = parseSieve(script);
  const importer = new Importer(script, parsed.comments, options);
  const commands = parsed.commands;
  let loose: SieveCommand[] = [];
  // Actions outside any `if` apply to every message: gather each run of them into one rule.
  const flushLoose = () => {
    if (!loose.length) return;
    const first = loose[0];
    const actions = importer.blockActions(loose, first.line - 1, loose[loose.length - 1].endLine + 1);
    importer.addRule(
      first.line,
      `Sieve rule (line ${first.line})`,
      true,
      { match: 'all', conditions: [ALWAYS_CONDITION] },
      actions,
    );
    loose = [];
  };
  for (let i = 0; i < commands.length; i++) {
    const c = commands[i];
    if (c.name === 'require') {
      importer.require(c);
    } else if (c.name === 'if') {
      flushLoose();
      const branches = [c];
      while (commands[i + 1] && (commands[i + 1].name === 'elsif' || commands[i + 1].name === 'else')) {
        branches.push(commands[++i]);
        if (commands[i].name === 'else') break;
      }
      importer.chain(branches);
    } else if (c.name === 'elsif' || c.name === 'else') {
      importer.report(c.line, `${c.name} without a preceding if`);
    } else if (ACTION_COMMANDS.has(c.name)) {
      loose.push(c);
    } else {
      importer.report(c.line, `command "${c.name}" is not supported`);
    }
  }
  flushLoose();
  if (parsed.error) importer.report(parsed.error.line, `syntax error: ${parsed.error.message}`);
  return { rules: importer.rules, problems: importer.problems.sort((a, b) => a.line - b.line) };
}
