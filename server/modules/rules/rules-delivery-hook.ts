import type { DataSource, EntityManager } from 'typeorm';
import type { Rule, RuleAction } from '../../../shared/rules/rule';
import type { Clock } from '../../platform/clock';
import type { Logger } from '../../platform/logger';
import type { DeliveryContext, DeliveryHook, HookInput, Placement } from '../transport';
import { summaryFromParsed } from './message-summary';
import {
  canonicalAddress,
  folderKey,
  groupAddressesReaching,
  resolveFolderTargets,
  senderFacts,
} from './rule-context.repository';
import type { RuleContext } from './rule-conditions';
import {
  autoReplyTarget,
  composeAutoReply,
  composeForward,
  mayForward,
  type OwnMailbox,
  type RuleMailSender,
} from './rule-effects';
import { evaluateRules } from './rule-engine';
import type { RuleStats } from './rule-stats';
import { loadApplicableRules, recordOutcomes, type ApplicableRule } from './rule-store';

export interface RuleNotifier {
  notify(
    tenantId: string,
    memberIds: string[],
    notice: { title: string; body: string },
  ): Promise<{ sent: number; skipped: number }>;
}

export interface RulesHookDeps {
  ds: DataSource;
  clock: Clock;
  logger: Logger;
  /** Resolved when an effect runs, so the outgoing service may be wired after the hook. */
  outgoing: () => RuleMailSender | undefined;
  notifier: RuleNotifier;
  stats: RuleStats;
}

interface MailboxOutcome {
  mailboxId: string;
  memberId: string | null;
  rules: Rule[];
  actions: RuleAction[];
  matched: string[];
}

const SAVEPOINT = 'orgmail_rules_hook';

/**
 * The "rules" delivery hook: for all target mailboxes at once, loads their enabled rules (one
 * statement), evaluates the pure engine per mailbox and applies the outcome to the placement.
 * Nothing here can fail the delivery: its reads run under a savepoint, a failing rule is skipped
 * and recorded, and a missing folder leaves the message in the Inbox. Match counts, errors and
 * outgoing effects are written after the commit.
 */
export class RulesDeliveryHook implements DeliveryHook {
  readonly name = 'rules';

  /** Rules read for a whole batch by `prepare`, per delivery (used once by `place`). */
  private readonly prepared = new WeakMap<DeliveryContext, ApplicableRule[]>();

  constructor(private readonly d: RulesHookDeps) {}

  /** One statement for the rules of every mailbox in the batch (most mailboxes have none). */
  async prepare(em: EntityManager, tenantId: string, batch: HookInput[]): Promise<void> {
    const wanted = batch.map((b) => eligible(b.placements));
    const all = [...new Set(wanted.flat())];
    if (all.length === 0) return;
    const byMailbox = new Map<string, ApplicableRule[]>();
    for (const a of await loadApplicableRules(em, tenantId, all)) {
      const list = byMailbox.get(a.mailboxId);
      if (list) list.push(a);
      else byMailbox.set(a.mailboxId, [a]);
    }
    batch.forEach((b, i) =>
      this.prepared.set(
        b.ctx,
        wanted[i]!.flatMap((id) => byMailbox.get(id) ?? []),
      ),
    );
  }

  async place(em: EntityManager, ctx: DeliveryContext, placements: Map<string, Placement>): Promise<void> {
    // Copies the spam verdict sent to Junk stay there; a deleted copy needs no rules.
    const mailboxIds = eligible(placements);
    if (mailboxIds.length === 0) return;
    const prepared = this.prepared.get(ctx);
    this.prepared.delete(ctx);
    if (prepared && prepared.length === 0) return;
    const errors = new Map<string, string>();
    const matchedCounts = new Map<string, number>();
    const before = new Map(mailboxIds.map((id) => [id, structuredClone(placements.get(id)!)]));
    await em.query(`SAVEPOINT ${SAVEPOINT}`);
    try {
      const outcomes = await this.evaluate(em, ctx, mailboxIds, errors, prepared);
      if (outcomes.length > 0) {
        for (const o of outcomes)
          for (const id of o.matched) matchedCounts.set(id, (matchedCounts.get(id) ?? 0) + 1);
        await this.apply(em, ctx, outcomes, placements, errors);
      }
      await em.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
    } catch (err) {
      // Back to the state before the hook: the message is delivered as if there were no rules.
      await em.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
      for (const [id, p] of before) placements.set(id, p);
      this.d.logger.error({ err, tenantId: ctx.tenantId }, 'rules hook failed; delivering without rules');
      return;
    }
    if (matchedCounts.size > 0 || errors.size > 0) {
      const at = this.d.clock.now();
      ctx.afterCommit.push(async () => {
        this.d.stats.add(ctx.tenantId, matchedCounts, at);
        // Errors are rare and the user looks for them: written at once (ids sorted: no deadlocks).
        if (errors.size > 0) {
          const sorted = new Map([...errors].sort(([x], [y]) => (x < y ? -1 : 1)));
          await recordOutcomes(this.d.ds, ctx.tenantId, new Map(), sorted, at);
        }
      });
    }
  }

  private async evaluate(
    em: EntityManager,
    ctx: DeliveryContext,
    mailboxIds: string[],
    errors: Map<string, string>,
    prepared?: ApplicableRule[],
  ): Promise<MailboxOutcome[]> {
    const applicable = prepared ?? (await loadApplicableRules(em, ctx.tenantId, mailboxIds));
    if (applicable.length === 0) return [];
    const byMailbox = new Map<string, Rule[]>();
    const distinct = new Map<string, Rule>();
    for (const a of applicable) {
      const list = byMailbox.get(a.mailboxId);
      if (list) list.push(a.rule);
      else byMailbox.set(a.mailboxId, [a.rule]);
      distinct.set(a.rule.id, a.rule);
    }
    const rules = [...distinct.values()];
    const fields = new Set(rules.flatMap((r) => r.conditions.map((c) => c.field)));
    const message = summaryFromParsed(ctx.parsed, ctx.raw, rules);

    let isInternalSender = ctx.source === 'local';
    let senderDepartmentPaths: string[][] = [];
    const fromAddress = ctx.parsed.from[0]?.address;
    if (fromAddress && (fields.has('sender_scope') || fields.has('sender_department'))) {
      const facts = (await senderFacts(em, ctx.tenantId, [fromAddress])).get(canonicalAddress(fromAddress));
      // A look-alike From of our own domain that failed the inbound checks is not "internal".
      isInternalSender = !!facts?.known && (ctx.source === 'local' || !ctx.verdict?.spam);
      senderDepartmentPaths = isInternalSender ? (facts?.departmentPaths ?? []) : [];
    } else if (!fromAddress) {
      isInternalSender = false;
    }
    const groups = fields.has('sent_to_my_group')
      ? await groupAddressesReaching(
          em,
          ctx.tenantId,
          [...ctx.parsed.to, ...ctx.parsed.cc].map((a) => a.address),
          [...byMailbox.keys()],
        )
      : new Map<string, string[]>();

    const memberOf = new Map(ctx.targets.map((t) => [t.mailboxId, t.memberId]));
    const outcomes: MailboxOutcome[] = [];
    for (const [mailboxId, mine] of byMailbox) {
      const context: RuleContext = {
        isInternalSender,
        senderDepartmentPaths,
        myGroupAddresses: groups.get(mailboxId) ?? [],
      };
      const result = evaluateRules(message, mine, context);
      for (const e of result.errors) errors.set(e.ruleId, e.message);
      if (result.matchedRuleIds.length === 0) continue;
      const matchedSet = new Set(result.matchedRuleIds);
      outcomes.push({
        mailboxId,
        memberId: memberOf.get(mailboxId) ?? null,
        rules: mine.filter((r) => matchedSet.has(r.id)),
        actions: result.actions,
        matched: result.matchedRuleIds,
      });
    }
    return outcomes;
  }

  private async apply(
    em: EntityManager,
    ctx: DeliveryContext,
    outcomes: MailboxOutcome[],
    placements: Map<string, Placement>,
    errors: Map<string, string>,
  ): Promise<void> {
    const moves: { mailboxId: string; target: string; ruleId: string }[] = [];
    const effects: { outcome: MailboxOutcome; action: RuleAction; ruleId: string }[] = [];
    for (const o of outcomes) {
      const p = placements.get(o.mailboxId)!;
      for (const ruleId of o.matched) p.trace.push(`rule:${ruleId}`);
      const ruleOf = (type: RuleAction['type']) =>
        o.matched.find((id) => o.rules.find((r) => r.id === id)?.actions.some((a) => a.type === type)) ?? '';
      for (const action of o.actions) {
        switch (action.type) {
          case 'move_to_folder':
            moves.push({ mailboxId: o.mailboxId, target: action.folderId, ruleId: ruleOf('move_to_folder') });
            break;
          case 'add_label':
            if (!p.labels.includes(action.label)) p.labels.push(action.label);
            break;
          case 'mark_read':
            p.seen = true;
            break;
          case 'mark_important':
            p.importance = 'high';
            break;
          case 'delete':
            p.discard = true;
            break;
          case 'forward':
          case 'auto_reply':
          case 'notify_dingtalk':
            effects.push({ outcome: o, action, ruleId: ruleOf(action.type) });
            break;
          default:
            break;
        }
      }
    }
    if (moves.length > 0) {
      const folders = await resolveFolderTargets(em, ctx.tenantId, moves);
      for (const m of moves) {
        const folder = folders.get(folderKey(m.mailboxId, m.target));
        const p = placements.get(m.mailboxId)!;
        if (!folder) {
          // Deleted (or never valid): the message stays in the Inbox and the rule shows why.
          errors.set(m.ruleId, `folder ${m.target} no longer exists; the message was left in the Inbox`);
          continue;
        }
        if (folder.role) p.folderRole = folder.role as Placement['folderRole'];
        else p.folderId = folder.id;
      }
    }
    // No "new mail" notice for a copy a rule deleted; forwards and replies still go (redirect setups).
    const kept = effects.filter(
      (e) => e.action.type !== 'notify_dingtalk' || !placements.get(e.outcome.mailboxId)!.discard,
    );
    if (kept.length > 0) await this.scheduleEffects(em, ctx, kept);
  }

  /** Forwards, auto-replies and notices run after the commit; each failure is recorded on its rule. */
  private async scheduleEffects(
    em: EntityManager,
    ctx: DeliveryContext,
    effects: { outcome: MailboxOutcome; action: RuleAction; ruleId: string }[],
  ): Promise<void> {
    const ids = [...new Set(effects.map((e) => e.outcome.mailboxId))];
    const rows: { id: string; member_id: string | null; address: string; display_name: string | null }[] =
      await em.query(
        `SELECT b.id, b.member_id, b.local_part || '@' || dm.name AS address, m.display_name
           FROM mailboxes b JOIN domains dm ON dm.tenant_id = b.tenant_id AND dm.id = b.domain_id
           LEFT JOIN members m ON m.tenant_id = b.tenant_id AND m.id = b.member_id
          WHERE b.tenant_id = $1 AND b.id = ANY ($2::uuid[])`,
        [ctx.tenantId, ids],
      );
    const own = new Map<string, OwnMailbox>(
      rows.map((r) => [
        r.id,
        { mailboxId: r.id, memberId: r.member_id, address: r.address, displayName: r.display_name },
      ]),
    );
    for (const e of effects) {
      const me = own.get(e.outcome.mailboxId);
      if (!me) continue;
      ctx.afterCommit.push(async () => {
        try {
          await this.runEffect(ctx, me, e.action);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          await recordOutcomes(
            this.d.ds,
            ctx.tenantId,
            new Map(),
            new Map([[e.ruleId, message]]),
            this.d.clock.now(),
          );
          throw err;
        }
      });
    }
  }

  private async runEffect(ctx: DeliveryContext, me: OwnMailbox, action: RuleAction): Promise<void> {
    const now = this.d.clock.now();
    const { parsed } = ctx;
    if (action.type === 'notify_dingtalk') {
      if (!me.memberId) return;
      const from = parsed.from[0];
      await this.d.notifier.notify(ctx.tenantId, [me.memberId], {
        title: '新邮件 / New mail',
        body: `${from ? from.name || from.address : ''}: ${parsed.subject || '(无主题)'}`,
      });
      return;
    }
    const outgoing = this.d.outgoing();
    if (!outgoing) throw new Error('outgoing mail is not available');
    if (action.type === 'forward') {
      if (!mayForward(parsed)) return;
      const raw = await composeForward(me, action.to, parsed, ctx.raw, now);
      await outgoing.submit({
        tenantId: ctx.tenantId,
        mailboxId: me.mailboxId,
        envelopeFrom: me.address,
        recipients: [action.to],
        raw,
        kind: 'auto',
      });
    } else if (action.type === 'auto_reply') {
      const to = autoReplyTarget(parsed, ctx.envelopeFrom, me);
      if (!to) return;
      const raw = await composeAutoReply(me, to, parsed, action, now);
      await outgoing.submit({
        tenantId: ctx.tenantId,
        mailboxId: me.mailboxId,
        envelopeFrom: '',
        recipients: [to],
        raw,
        kind: 'auto',
      });
    }
  }
}

/** The copies rules may still place: not deleted, not in Junk, not already in a chosen folder. */
function eligible(placements: Map<string, Placement>): string[] {
  return [...placements]
    .filter(([, p]) => !p.discard && p.folderRole !== 'junk' && !p.folderId)
    .map(([id]) => id);
}
