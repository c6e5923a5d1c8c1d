import type { DataSource, EntityManager } from 'typeorm';
import { ErrorCodes } from '../../../shared/errors';
import type { RuleDto, SaveOrgRuleBody } from '../../../shared/rules/api';
import { AppError, ForbiddenError, NotFoundError, ValidationError } from '../../platform/errors';
import { hasRole, type Actor, type RequestContext } from '../../platform/http/actor';
import { returning } from '../../platform/db/returning';
import type { AuditService } from '../admin';
import { checkFolderTargets, MAX_ORG_RULES } from './rule-validation';
import { presentRule, RULE_COLUMNS, type RuleRow } from './rule-store';

/**
 * Organization rules: an admin's policy for the members of some departments (and their
 * sub-departments). They run before everyone's own rules; every change is audited.
 */
export class OrgRulesService {
  constructor(
    private readonly ds: DataSource,
    private readonly audit: AuditService,
  ) {}

  async list(actor: Actor): Promise<RuleDto[]> {
    if (!hasRole(actor, 'admin', 'auditor')) throw new ForbiddenError();
    const rows: RuleRow[] = await this.ds.query(
      `SELECT ${RULE_COLUMNS} FROM rules r WHERE r.tenant_id = $1 AND r.scope = 'organization'
        ORDER BY r.position, r.id`,
      [actor.tenantId],
    );
    return rows.map((r) => presentRule(r, false));
  }

  async create(actor: Actor, body: SaveOrgRuleBody, ctx: RequestContext): Promise<RuleDto> {
    requireAdmin(actor);
    return this.ds.transaction(async (em) => {
      await this.check(em, actor, body);
      const [{ n, next }] = await em.query(
        `SELECT count(*)::int AS n, coalesce(max(position) + 1, 0)::int AS next FROM rules
          WHERE tenant_id = $1 AND scope = 'organization'`,
        [actor.tenantId],
      );
      if (n >= MAX_ORG_RULES)
        throw new AppError(ErrorCodes.ruleLimitReached, 409, `At most ${MAX_ORG_RULES} organization rules`);
      const [row] = await em.query(
        `INSERT INTO rules AS r (tenant_id, scope, department_external_ids, name, position, is_enabled, definition, created_by)
         VALUES ($1, 'organization', $2, $3, $4, $5, $6, $7) RETURNING ${RULE_COLUMNS}`,
        [
          actor.tenantId,
          body.departmentIds,
          body.name,
          next,
          body.enabled,
          JSON.stringify(body.definition),
          actor.memberId,
        ],
      );
      await this.record(em, actor, 'rules.org.create', row.id, { ...body }, ctx);
      return presentRule(row, false);
    });
  }

  async update(actor: Actor, id: string, body: SaveOrgRuleBody, ctx: RequestContext): Promise<RuleDto> {
    requireAdmin(actor);
    return this.ds.transaction(async (em) => {
      // Not found before invalid: ids of other organizations must not be probed through validation.
      const [exists] = await em.query(
        `SELECT 1 FROM rules WHERE tenant_id = $1 AND id = $2 AND scope = 'organization' FOR UPDATE`,
        [actor.tenantId, id],
      );
      if (!exists) throw new NotFoundError('Rule');
      await this.check(em, actor, body);
      const [row] = await returning<RuleRow>(
        em,
        `UPDATE rules r SET department_external_ids = $3, name = $4, is_enabled = $5, definition = $6,
                updated_at = now(), last_error = NULL, last_error_at = NULL
          WHERE r.tenant_id = $1 AND r.id = $2 AND r.scope = 'organization' RETURNING ${RULE_COLUMNS}`,
        [actor.tenantId, id, body.departmentIds, body.name, body.enabled, JSON.stringify(body.definition)],
      );
      if (!row) throw new NotFoundError('Rule');
      await this.record(em, actor, 'rules.org.update', id, { ...body }, ctx);
      return presentRule(row, false);
    });
  }

  async setEnabled(actor: Actor, id: string, enabled: boolean, ctx: RequestContext): Promise<RuleDto> {
    requireAdmin(actor);
    return this.ds.transaction(async (em) => {
      const [row] = await returning<RuleRow>(
        em,
        `UPDATE rules r SET is_enabled = $3, updated_at = now()
          WHERE r.tenant_id = $1 AND r.id = $2 AND r.scope = 'organization' RETURNING ${RULE_COLUMNS}`,
        [actor.tenantId, id, enabled],
      );
      if (!row) throw new NotFoundError('Rule');
      await this.record(em, actor, enabled ? 'rules.org.enable' : 'rules.org.disable', id, {}, ctx);
      return presentRule(row, false);
    });
  }

  async remove(actor: Actor, id: string, ctx: RequestContext): Promise<void> {
    requireAdmin(actor);
    await this.ds.transaction(async (em) => {
      const rows = await returning<{ id: string; name: string }>(
        em,
        `DELETE FROM rules WHERE tenant_id = $1 AND id = $2 AND scope = 'organization' RETURNING id, name`,
        [actor.tenantId, id],
      );
      if (rows.length === 0) throw new NotFoundError('Rule');
      await this.record(em, actor, 'rules.org.delete', id, { name: rows[0]!.name }, ctx);
    });
  }

  private async check(em: EntityManager, actor: Actor, body: SaveOrgRuleBody): Promise<void> {
    const wanted = [...new Set(body.departmentIds)];
    const rows: { external_id: string }[] = await em.query(
      `SELECT external_id FROM departments WHERE tenant_id = $1 AND external_id = ANY ($2::text[])`,
      [actor.tenantId, wanted],
    );
    const known = new Set(rows.map((r) => r.external_id));
    const unknown = wanted.filter((id) => !known.has(id));
    if (unknown.length > 0)
      throw new ValidationError(`Unknown departments: ${unknown.join(', ')}`, { details: { unknown } });
    await checkFolderTargets(em, actor.tenantId, null, body.definition);
  }

  private record(
    em: EntityManager,
    actor: Actor,
    action: string,
    targetId: string,
    details: Record<string, unknown>,
    ctx: RequestContext,
  ): Promise<void> {
    return this.audit.record(em, {
      tenantId: actor.tenantId,
      actorType: 'member',
      actorId: actor.memberId,
      action,
      targetType: 'rule',
      targetId,
      details,
      ctx,
    });
  }
}

/** Admins change organization rules; auditors only read them. */
function requireAdmin(actor: Actor): void {
  if (!hasRole(actor, 'admin')) throw new ForbiddenError();
}
