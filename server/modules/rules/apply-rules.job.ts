import type { DataSource } from 'typeorm';
import type { RuleAction } from '../../../shared/rules/rule';
import { NotFoundError, ValidationError } from '../../platform/errors';
import type { Actor } from '../../platform/http/actor';
import type { Logger } from '../../platform/logger';
import type { JobRunsService } from '../scheduling';
import { resolveFolderTargets } from './rule-context.repository';
import { countScope, scanMailbox } from './rule-scan';
import { loadApplicableRows, recordOutcomes, toRule } from './rule-store';
import { ownMailboxId } from './rule-validation';
import type { Clock } from '../../platform/clock';

export const APPLY_RULE_JOB = 'rules.apply';
/** Messages examined at most by one run. */
export const APPLY_CAP = 200_000;

const FILING_ACTIONS = new Set<RuleAction['type']>([
  'move_to_folder',
  'add_label',
  'mark_read',
  'mark_important',
  'delete',
]);

export interface ApplyStarted {
  runId: string;
  applies: string[];
  skipped: string[];
  note: string;
}

/**
 * "Apply this rule to mail I already have": a background run (a job_runs row with progress)
 * that walks the mailbox newest first in keyset batches and files what matches. Only filing
 * actions run on old mail; nobody wants last year's mail forwarded again. Delete moves to Trash.
 */
export class ApplyRulesJob {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly d: { ds: DataSource; jobRuns: JobRunsService; clock: Clock; logger: Logger },
  ) {}

  async start(actor: Actor, ruleId: string, folderId?: string): Promise<ApplyStarted> {
    const { ds } = this.d;
    const mailboxId = await ownMailboxId(ds, actor);
    const row = (await loadApplicableRows(ds.manager, actor.tenantId, [mailboxId], true)).find(
      (r) => r.id === ruleId,
    );
    if (!row) throw new NotFoundError('Rule');
    if (folderId) {
      const [f] = await ds.query(
        `SELECT 1 FROM folders WHERE tenant_id = $1 AND mailbox_id = $2 AND id = $3`,
        [actor.tenantId, mailboxId, folderId],
      );
      if (!f) throw new NotFoundError('Folder');
    }
    const rule = { ...toRule(row), enabled: true };
    const applies = rule.actions.filter((a) => FILING_ACTIONS.has(a.type)).map((a) => a.type);
    const skipped = rule.actions
      .filter((a) => !FILING_ACTIONS.has(a.type) && a.type !== 'stop')
      .map((a) => a.type);
    if (applies.length === 0)
      throw new ValidationError('This rule has no action that can be applied to existing mail', {
        details: { skipped },
      });

    const move = rule.actions.find((a) => a.type === 'move_to_folder');
    const deleting = rule.actions.some((a) => a.type === 'delete');
    const target = deleting ? 'role:trash' : move?.type === 'move_to_folder' ? move.folderId : null;
    let targetFolderId: string | null = null;
    if (target) {
      const found = await resolveFolderTargets(ds.manager, actor.tenantId, [{ mailboxId, target }]);
      targetFolderId = [...found.values()][0]?.id ?? null;
      if (!targetFolderId) throw new ValidationError(`The rule's folder (${target}) no longer exists`);
    }
    const labels = rule.actions.flatMap((a) => (a.type === 'add_label' ? [a.label] : []));
    const read = rule.actions.some((a) => a.type === 'mark_read');
    const important = rule.actions.some((a) => a.type === 'mark_important');

    const runId = await this.d.jobRuns.start(actor.tenantId, APPLY_RULE_JOB, 'manual', {
      requestedBy: actor.memberId,
      total: Math.min(APPLY_CAP, await countScope(ds.manager, actor.tenantId, mailboxId, folderId)),
      summary: { ruleId, folderId: folderId ?? null },
    });
    const work = (async () => {
      let matched = 0;
      try {
        const { examined, capped } = await scanMailbox(ds.manager, actor.tenantId, mailboxId, rule, {
          folderId,
          cap: APPLY_CAP,
          onBatch: async (rows, examinedSoFar) => {
            if (rows.length > 0) {
              matched += rows.length;
              await ds.query(
                `UPDATE messages SET folder_id = coalesce($4::uuid, folder_id),
                        labels = labels || ARRAY(SELECT l FROM unnest($5::text[]) AS l WHERE l <> ALL (labels)),
                        is_seen = is_seen OR $6, importance = CASE WHEN $7 THEN 'high' ELSE importance END
                  WHERE tenant_id = $1 AND mailbox_id = $2 AND id = ANY ($3::uuid[])`,
                [actor.tenantId, mailboxId, rows.map((r) => r.id), targetFolderId, labels, read, important],
              );
            }
            await this.d.jobRuns.progress(actor.tenantId, runId, examinedSoFar, null, 'applying');
          },
        });
        if (matched > 0)
          await recordOutcomes(
            ds,
            actor.tenantId,
            new Map([[ruleId, matched]]),
            new Map(),
            this.d.clock.now(),
          );
        await this.d.jobRuns.finish(actor.tenantId, runId, 'succeeded', {
          examined,
          matched,
          updated: matched,
          capped,
        });
      } catch (err) {
        this.d.logger.error({ err, tenantId: actor.tenantId, runId }, 'applying a rule failed');
        await this.d.jobRuns
          .finish(
            actor.tenantId,
            runId,
            'failed',
            { matched },
            err instanceof Error ? err.message : String(err),
          )
          .catch(() => undefined);
      }
    })();
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
    const notes = [`Existing mail is filed (${applies.join(', ')}).`];
    if (deleting) notes.push('For existing mail, delete moves to Trash.');
    if (skipped.length > 0)
      notes.push(`${skipped.join(', ')} run for new mail only, never for existing mail.`);
    return { runId, applies, skipped, note: notes.join(' ') };
  }

  /** Resolves when every run started by this process has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
