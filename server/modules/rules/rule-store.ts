import type { EntityManager } from 'typeorm';
import type { RuleDefinition, RuleDto } from '../../../shared/rules/api';
import type { Rule, RuleScope } from '../../../shared/rules/rule';

/** SQL for the rules table shared by the API services, the delivery hook, preview and apply. */

export interface RuleRow {
  id: string;
  scope: RuleScope;
  mailbox_id: string | null;
  department_external_ids: string[];
  name: string;
  position: number;
  is_enabled: boolean;
  definition: RuleDefinition;
  match_count: string | number;
  last_matched_at: Date | null;
  last_error: string | null;
  last_error_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** A rule as it applies to one mailbox (organization rules apply to many). */
export interface ApplicableRule {
  mailboxId: string;
  rule: Rule;
}

export const RULE_COLUMNS = `r.id, r.scope, r.mailbox_id, r.department_external_ids, r.name, r.position, r.is_enabled,
  r.definition, r.match_count, r.last_matched_at, r.last_error, r.last_error_at, r.created_at, r.updated_at`;

/**
 * Every rule that applies to these mailboxes, in one statement: their personal rules plus the
 * organization rules of any department on the path from the root to each owner's departments
 * (a rule on a department covers all sub-departments).
 */
const applicableRules = (columns: string) => `
  WITH owners AS (
    SELECT b.id AS mailbox_id,
           coalesce(array_agg(DISTINCT p.ext) FILTER (WHERE p.ext IS NOT NULL), '{}') AS ancestors
      FROM mailboxes b
      LEFT JOIN members m ON m.tenant_id = b.tenant_id AND m.id = b.member_id
      LEFT JOIN departments d ON d.tenant_id = b.tenant_id AND d.external_id = ANY (m.department_ids)
      LEFT JOIN LATERAL unnest(d.path) AS p(ext) ON true
     WHERE b.tenant_id = $1 AND b.id = ANY ($2::uuid[])
     GROUP BY b.id)
  SELECT r.mailbox_id AS applies_to, ${columns}
    FROM rules r
   WHERE r.tenant_id = $1 AND r.scope = 'personal' AND r.mailbox_id = ANY ($2::uuid[]) AND ($3 OR r.is_enabled)
  UNION ALL
  SELECT o.mailbox_id AS applies_to, ${columns}
    FROM owners o
    JOIN rules r ON r.tenant_id = $1 AND r.scope = 'organization' AND r.department_external_ids && o.ancestors
   WHERE ($3 OR r.is_enabled)`;

const APPLICABLE_ROWS = applicableRules(RULE_COLUMNS);
/** Only what the engine reads: at delivery this runs once per message, for every recipient at once. */
const APPLICABLE_FOR_ENGINE = applicableRules(
  'r.id, r.scope, r.name, r.position, r.is_enabled, r.definition',
);

export async function loadApplicableRows(
  em: EntityManager,
  tenantId: string,
  mailboxIds: string[],
  includeDisabled = false,
): Promise<(RuleRow & { applies_to: string })[]> {
  if (mailboxIds.length === 0) return [];
  return em.query(APPLICABLE_ROWS, [tenantId, mailboxIds, includeDisabled]);
}

export async function loadApplicableRules(
  em: EntityManager,
  tenantId: string,
  mailboxIds: string[],
): Promise<ApplicableRule[]> {
  if (mailboxIds.length === 0) return [];
  const rows: (RuleRow & { applies_to: string })[] = await em.query(APPLICABLE_FOR_ENGINE, [
    tenantId,
    mailboxIds,
    false,
  ]);
  // An organization rule comes back once per mailbox it applies to; build it once.
  const built = new Map<string, Rule>();
  return rows.map((r) => {
    let rule = built.get(r.id);
    if (!rule) built.set(r.id, (rule = toRule(r)));
    return { mailboxId: r.applies_to, rule };
  });
}

/** The engine's view of a stored rule. Stored definitions were validated when saved. */
export function toRule(row: RuleRow): Rule {
  return {
    id: row.id,
    name: row.name,
    enabled: row.is_enabled,
    scope: row.scope,
    order: Math.max(0, row.position),
    match: row.definition.match ?? 'all',
    conditions: row.definition.conditions,
    actions: row.definition.actions,
  };
}

export function presentRule(row: RuleRow, readOnly: boolean): RuleDto {
  return {
    id: row.id,
    name: row.name,
    enabled: row.is_enabled,
    scope: row.scope,
    position: row.position,
    definition: row.definition,
    readOnly,
    departmentIds: row.department_external_ids,
    matchCount: Number(row.match_count),
    lastMatchedAt: row.last_matched_at?.toISOString() ?? null,
    lastError: row.last_error,
    lastErrorAt: row.last_error_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Match statistics and errors, written in two statements after the delivery committed. */
export async function recordOutcomes(
  em: Pick<EntityManager, 'query'>,
  tenantId: string,
  matched: Map<string, number>,
  errors: Map<string, string>,
  at: Date,
): Promise<void> {
  if (matched.size > 0) {
    await em.query(
      `UPDATE rules r SET match_count = r.match_count + u.n, last_matched_at = greatest(r.last_matched_at, $4)
         FROM unnest($2::uuid[], $3::int[]) AS u(id, n)
        WHERE r.tenant_id = $1 AND r.id = u.id`,
      [tenantId, [...matched.keys()], [...matched.values()], at],
    );
  }
  if (errors.size > 0) {
    await em.query(
      `UPDATE rules r SET last_error = left(u.message, 500), last_error_at = $4
         FROM unnest($2::uuid[], $3::text[]) AS u(id, message)
        WHERE r.tenant_id = $1 AND r.id = u.id`,
      [tenantId, [...errors.keys()], [...errors.values()], at],
    );
  }
}
