import type { DataSource } from 'typeorm';
import type { RulePreviewDto } from '../../../shared/rules/api';
import type { RuleAction, RuleCondition, RuleMatch } from '../../../shared/rules/rule';
import type { Clock } from '../../platform/clock';
import type { Actor } from '../../platform/http/actor';
import { needsRawMessage } from './message-summary';
import { scanMailbox } from './rule-scan';
import { ownMailboxId } from './rule-validation';

export const PREVIEW_DAYS = 30;
/** Messages examined at most: plain summary fields are cheap, a blob parse per message is not. */
export const PREVIEW_CAP = 5000;
export const PREVIEW_CAP_WITH_BODY = 1000;
const SAMPLE_SIZE = 20;

/** "Which of my recent messages would this rule have caught?" Read-only. */
export class RulePreviewService {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
  ) {}

  async preview(
    actor: Actor,
    definition: { match: RuleMatch; conditions: RuleCondition[]; actions: RuleAction[] },
  ): Promise<RulePreviewDto> {
    const mailboxId = await ownMailboxId(this.ds, actor);
    const rule = {
      id: 'preview',
      name: 'preview',
      enabled: true,
      scope: 'personal' as const,
      order: 0,
      match: definition.match,
      conditions: definition.conditions,
      actions: definition.actions.length > 0 ? definition.actions : [{ type: 'stop' as const }],
    };
    const cap = needsRawMessage([rule]) ? PREVIEW_CAP_WITH_BODY : PREVIEW_CAP;
    const since = new Date(this.clock.now().getTime() - PREVIEW_DAYS * 86_400_000);
    let count = 0;
    const sample: RulePreviewDto['sample'] = [];
    const { examined, capped } = await scanMailbox(this.ds.manager, actor.tenantId, mailboxId, rule, {
      since,
      cap,
      onBatch: async (matched) => {
        count += matched.length;
        for (const m of matched) {
          if (sample.length >= SAMPLE_SIZE) break;
          sample.push({
            id: m.id,
            subject: m.subject,
            fromName: m.from_name,
            fromAddress: m.from_address,
            snippet: m.snippet,
            receivedAt: m.received_at.toISOString(),
            folderId: m.folder_id,
          });
        }
      },
    });
    return { count, examined, capped, days: PREVIEW_DAYS, sample };
  }
}
