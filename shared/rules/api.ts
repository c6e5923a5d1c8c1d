import { z } from 'zod';
import { Timestamp, Uuid } from '../common';
import { RULE_LIMITS, RuleAction, RuleCondition, RuleMatch, RuleScope } from './rule';

/** Wire shapes of the rules API (employee H5 app and admin console). The rule contract is rule.ts. */

/** What a rule does, stored as one JSON document and validated with the shared rule schema. */
export const RuleDefinition = z
  .object({
    match: RuleMatch.default('all'),
    conditions: z.array(RuleCondition).min(1).max(RULE_LIMITS.conditions),
    actions: z.array(RuleAction).min(1).max(RULE_LIMITS.actions),
  })
  .meta({ id: 'RuleDefinition' });
export type RuleDefinition = z.infer<typeof RuleDefinition>;

const RuleName = z.string().trim().min(1).max(RULE_LIMITS.nameLength);

/**
 * `move_to_folder.folderId` is a folder id of the mailbox, `role:<inbox|archive|junk|trash…>` for a
 * system folder, or `name:<folder name>` (resolved by name at delivery; organization rules use it).
 */
export const SaveRuleBody = z.object({
  name: RuleName,
  enabled: z.boolean().default(true),
  definition: RuleDefinition,
});
export type SaveRuleBody = z.infer<typeof SaveRuleBody>;

export const SaveOrgRuleBody = SaveRuleBody.extend({
  /** Department external ids; the rule applies to their members and to every sub-department's. */
  departmentIds: z.array(z.string().min(1).max(100)).min(1).max(100),
});
export type SaveOrgRuleBody = z.infer<typeof SaveOrgRuleBody>;

export const PatchRuleBody = z.object({ enabled: z.boolean() });

export const ReorderRulesBody = z.object({
  /** Every personal rule id of the mailbox, in the new order. */
  ids: z.array(Uuid).min(1).max(500),
});

export const RuleDto = z
  .object({
    id: Uuid,
    name: z.string(),
    enabled: z.boolean(),
    scope: RuleScope,
    position: z.number().int(),
    definition: RuleDefinition,
    /** Organization rules are pushed by an admin: the employee sees them but cannot change them. */
    readOnly: z.boolean(),
    departmentIds: z.array(z.string()),
    matchCount: z.number().int(),
    lastMatchedAt: Timestamp.nullable(),
    lastError: z.string().nullable(),
    lastErrorAt: Timestamp.nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'RuleDto' });
export type RuleDto = z.infer<typeof RuleDto>;

export const RuleDtoList = z.object({ rules: z.array(RuleDto) }).meta({ id: 'RuleDtoList' });

export const PreviewRuleBody = z.object({
  definition: RuleDefinition.extend({
    actions: z.array(RuleAction).max(RULE_LIMITS.actions).default([]),
  }),
});

export const MessageSummaryDto = z
  .object({
    id: Uuid,
    subject: z.string(),
    fromName: z.string().nullable(),
    fromAddress: z.string().nullable(),
    snippet: z.string(),
    receivedAt: Timestamp,
    folderId: Uuid,
  })
  .meta({ id: 'RuleMessageSummary' });

export const RulePreviewDto = z
  .object({
    /** Matching messages among those examined. */
    count: z.number().int(),
    examined: z.number().int(),
    /** Fewer messages were examined than the period holds (see `examined`). */
    capped: z.boolean(),
    days: z.number().int(),
    /** The first (newest) matches. */
    sample: z.array(MessageSummaryDto),
  })
  .meta({ id: 'RulePreview' });
export type RulePreviewDto = z.infer<typeof RulePreviewDto>;

export const ApplyRuleBody = z.object({
  /** Only this folder; by default every folder except Sent, Drafts, Scheduled, Trash and Junk. */
  folderId: Uuid.optional(),
});

export const ApplyRuleAccepted = z
  .object({
    runId: Uuid,
    /** Actions the run performs on existing mail. */
    applies: z.array(z.string()),
    /** Actions of the rule that are not run for existing mail (forward, auto-reply, notify). */
    skipped: z.array(z.string()),
    note: z.string(),
  })
  .meta({ id: 'ApplyRuleAccepted' });

export const SieveExportDto = z
  .object({ script: z.string(), rules: z.number().int() })
  .meta({ id: 'SieveExport' });

export const SieveImportBody = z.object({
  script: z.string().max(200_000),
  /** Report what would be created, create nothing. */
  dryRun: z.boolean().default(false),
});

export const SieveImportDto = z
  .object({
    dryRun: z.boolean(),
    /** Created rules (or, for a dry run, the rules that would be created). */
    rules: z.array(
      z.object({ id: z.string(), name: z.string(), enabled: z.boolean(), definition: RuleDefinition }),
    ),
    /** Every part of the script that was not imported, by line. */
    problems: z.array(z.object({ line: z.number().int(), text: z.string(), reason: z.string() })),
  })
  .meta({ id: 'SieveImport' });
export type SieveImportDto = z.infer<typeof SieveImportDto>;

// ---- jobs

export const JobRunDto = z
  .object({
    id: Uuid,
    job: z.string(),
    trigger: z.string(),
    status: z.enum(['running', 'succeeded', 'failed', 'held', 'cancelled']),
    progressDone: z.number().int(),
    progressTotal: z.number().int().nullable(),
    summary: z.record(z.string(), z.unknown()),
    error: z.string().nullable(),
    startedAt: Timestamp,
    finishedAt: Timestamp.nullable(),
  })
  .meta({ id: 'JobRun' });
export type JobRunDto = z.infer<typeof JobRunDto>;

export const RegisteredJobDto = z
  .object({
    name: z.string(),
    description: z.string(),
    /** node-cron expression (seconds optional); null for jobs only run on demand. */
    cron: z.string().nullable(),
    timeZone: z.string(),
    scope: z.enum(['tenant', 'global']),
    running: z.boolean(),
    lastRuns: z.array(JobRunDto),
  })
  .meta({ id: 'RegisteredJob' });

export const RegisteredJobList = z
  .object({ jobs: z.array(RegisteredJobDto) })
  .meta({ id: 'RegisteredJobList' });

export const JobRunStarted = z.object({ runId: Uuid }).meta({ id: 'JobRunStarted' });
