import type { DataSource, EntityManager } from 'typeorm';
import { ErrorCodes } from '../../../shared/errors';
import {
  RuleDefinition,
  type RuleDto,
  type SaveRuleBody,
  type SieveImportDto,
} from '../../../shared/rules/api';
import { AppError, NotFoundError, ValidationError } from '../../platform/errors';
import type { Actor } from '../../platform/http/actor';
import { returning } from '../../platform/db/returning';
import { checkFolderTargets, MAX_PERSONAL_RULES, ownMailboxId } from './rule-validation';
import { loadApplicableRows, presentRule, RULE_COLUMNS, toRule, type RuleRow } from './rule-store';
import { exportSieve, FOLDER_NAME_PREFIX, importSieve } from './sieve';

/**
 * An employee's own rules (personal scope, on their mailbox), and the organization rules that
 * apply to them, read-only. Every id outside the caller's mailbox answers 404.
 */
export class RulesService {
  constructor(private readonly ds: DataSource) {}

  async list(actor: Actor): Promise<RuleDto[]> {
    const mailboxId = await ownMailboxId(this.ds, actor);
    const rows = await loadApplicableRows(this.ds.manager, actor.tenantId, [mailboxId], true);
    return rows
      .sort((a, b) =>
        a.scope !== b.scope
          ? a.scope === 'organization'
            ? -1
            : 1
          : a.position - b.position || (a.id < b.id ? -1 : 1),
      )
      .map((r) => presentRule(r, r.scope === 'organization'));
  }

  async create(actor: Actor, body: SaveRuleBody): Promise<RuleDto> {
    return this.ds.transaction(async (em) => {
      const mailboxId = await ownMailboxId(em, actor);
      await checkFolderTargets(em, actor.tenantId, mailboxId, body.definition);
      const [row] = await this.insert(em, actor, mailboxId, [body]);
      return presentRule(row!, false);
    });
  }

  async update(actor: Actor, id: string, body: SaveRuleBody): Promise<RuleDto> {
    return this.ds.transaction(async (em) => {
      const mailboxId = await ownMailboxId(em, actor);
      // Not found before invalid, so another person's rule ids cannot be probed.
      const [exists] = await em.query(
        `SELECT 1 FROM rules WHERE tenant_id = $1 AND id = $2 AND scope = 'personal' AND mailbox_id = $3 FOR UPDATE`,
        [actor.tenantId, id, mailboxId],
      );
      if (!exists) throw new NotFoundError('Rule');
      await checkFolderTargets(em, actor.tenantId, mailboxId, body.definition);
      const [row] = await returning<RuleRow>(
        em,
        `UPDATE rules r SET name = $4, is_enabled = $5, definition = $6, updated_at = now(),
                last_error = NULL, last_error_at = NULL
          WHERE r.tenant_id = $1 AND r.id = $2 AND r.scope = 'personal' AND r.mailbox_id = $3
          RETURNING ${RULE_COLUMNS}`,
        [actor.tenantId, id, mailboxId, body.name, body.enabled, JSON.stringify(body.definition)],
      );
      if (!row) throw new NotFoundError('Rule');
      return presentRule(row, false);
    });
  }

  async setEnabled(actor: Actor, id: string, enabled: boolean): Promise<RuleDto> {
    const mailboxId = await ownMailboxId(this.ds, actor);
    const [row] = await returning<RuleRow>(
      this.ds,
      `UPDATE rules r SET is_enabled = $4, updated_at = now()
        WHERE r.tenant_id = $1 AND r.id = $2 AND r.scope = 'personal' AND r.mailbox_id = $3
        RETURNING ${RULE_COLUMNS}`,
      [actor.tenantId, id, mailboxId, enabled],
    );
    if (!row) throw new NotFoundError('Rule');
    return presentRule(row, false);
  }

  async remove(actor: Actor, id: string): Promise<void> {
    const mailboxId = await ownMailboxId(this.ds, actor);
    const rows = await returning<{ id: string }>(
      this.ds,
      `DELETE FROM rules WHERE tenant_id = $1 AND id = $2 AND scope = 'personal' AND mailbox_id = $3 RETURNING id`,
      [actor.tenantId, id, mailboxId],
    );
    if (rows.length === 0) throw new NotFoundError('Rule');
  }

  /** `ids` must name every personal rule of the mailbox exactly once. */
  async reorder(actor: Actor, ids: string[]): Promise<RuleDto[]> {
    await this.ds.transaction(async (em) => {
      const mailboxId = await ownMailboxId(em, actor);
      const rows: { id: string }[] = await em.query(
        `SELECT id FROM rules WHERE tenant_id = $1 AND scope = 'personal' AND mailbox_id = $2 FOR UPDATE`,
        [actor.tenantId, mailboxId],
      );
      const mine = new Set(rows.map((r) => r.id));
      const given = new Set(ids);
      if (given.size !== ids.length || given.size !== mine.size || ids.some((id) => !mine.has(id))) {
        throw new ValidationError('ids must list each of your rules exactly once', {
          details: { expected: mine.size, unknown: ids.filter((id) => !mine.has(id)) },
        });
      }
      await em.query(
        `UPDATE rules r SET position = u.n - 1, updated_at = now()
           FROM unnest($3::uuid[]) WITH ORDINALITY AS u(id, n)
          WHERE r.tenant_id = $1 AND r.mailbox_id = $2 AND r.id = u.id`,
        [actor.tenantId, mailboxId, ids],
      );
    });
    return this.list(actor);
  }

  /** The caller's personal rules as a Sieve script (organization rules are not theirs to take). */
  async exportSieve(actor: Actor): Promise<{ script: string; rules: number }> {
    const mailboxId = await ownMailboxId(this.ds, actor);
    const rows: RuleRow[] = await this.ds.query(
      `SELECT ${RULE_COLUMNS} FROM rules r WHERE r.tenant_id = $1 AND r.scope = 'personal' AND r.mailbox_id = $2
        ORDER BY r.position, r.id`,
      [actor.tenantId, mailboxId],
    );
    const folders: { id: string; name: string; role: string | null }[] = await this.ds.query(
      `SELECT id, name, role FROM folders WHERE tenant_id = $1 AND mailbox_id = $2`,
      [actor.tenantId, mailboxId],
    );
    const byId = new Map(folders.map((f) => [f.id, f.name]));
    const byRole = new Map(folders.filter((f) => f.role).map((f) => [`role:${f.role}`, f.name]));
    const rules = rows.map(toRule);
    const script = exportSieve(rules, {
      folderName: (id) =>
        byId.get(id) ??
        byRole.get(id) ??
        (id.startsWith(FOLDER_NAME_PREFIX) ? id.slice(FOLDER_NAME_PREFIX.length) : undefined),
    });
    return { script, rules: rules.length };
  }

  /** Sieve → personal rules, appended after the existing ones; every skipped part is reported by line. */
  async importSieve(actor: Actor, script: string, dryRun: boolean): Promise<SieveImportDto> {
    const { rules, problems } = importSieve(script, { scope: 'personal', idPrefix: 'sieve-' });
    return this.ds.transaction(async (em) => {
      const mailboxId = await ownMailboxId(em, actor);
      const folders: { id: string; name: string }[] = await em.query(
        `SELECT id, name FROM folders WHERE tenant_id = $1 AND mailbox_id = $2 AND parent_id IS NULL`,
        [actor.tenantId, mailboxId],
      );
      const byName = new Map(folders.map((f) => [f.name.toLowerCase(), f.id]));
      const bodies: SaveRuleBody[] = rules.map((rule) => ({
        name: rule.name,
        enabled: rule.enabled,
        definition: RuleDefinition.parse({
          match: rule.match,
          conditions: rule.conditions,
          actions: rule.actions.map((a) =>
            a.type === 'move_to_folder' && a.folderId.startsWith(FOLDER_NAME_PREFIX)
              ? { ...a, folderId: resolveByName(byName, a.folderId) }
              : a,
          ),
        }),
      }));
      if (dryRun || bodies.length === 0) {
        return {
          dryRun,
          rules: bodies.map((b, i) => ({ id: rules[i]!.id, ...b, enabled: b.enabled })),
          problems,
        };
      }
      const rows = await this.insert(em, actor, mailboxId, bodies);
      return {
        dryRun,
        rules: rows.map((r) => ({ id: r.id, name: r.name, enabled: r.is_enabled, definition: r.definition })),
        problems,
      };
    });
  }

  private async insert(
    em: EntityManager,
    actor: Actor,
    mailboxId: string,
    bodies: SaveRuleBody[],
  ): Promise<RuleRow[]> {
    // Serializes concurrent creates of one mailbox so the limit and positions hold.
    await em.query(`SELECT 1 FROM mailboxes WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [
      actor.tenantId,
      mailboxId,
    ]);
    const [{ n, next }] = await em.query(
      `SELECT count(*)::int AS n, coalesce(max(position) + 1, 0)::int AS next FROM rules
        WHERE tenant_id = $1 AND scope = 'personal' AND mailbox_id = $2`,
      [actor.tenantId, mailboxId],
    );
    if (n + bodies.length > MAX_PERSONAL_RULES) {
      throw new AppError(
        ErrorCodes.ruleLimitReached,
        409,
        `A mailbox can have at most ${MAX_PERSONAL_RULES} rules (it has ${n})`,
      );
    }
    return em.query(
      `INSERT INTO rules AS r (tenant_id, scope, mailbox_id, name, position, is_enabled, definition, created_by)
       SELECT $1, 'personal', $2, u.name, $3 + u.n - 1, u.enabled, u.definition, $4
         FROM unnest($5::text[], $6::boolean[], $7::jsonb[]) WITH ORDINALITY AS u(name, enabled, definition, n)
       RETURNING ${RULE_COLUMNS}`,
      [
        actor.tenantId,
        mailboxId,
        next,
        actor.memberId,
        bodies.map((b) => b.name),
        bodies.map((b) => b.enabled),
        bodies.map((b) => JSON.stringify(b.definition)),
      ],
    );
  }
}

/** An imported `fileinto "Name"` files into that folder when it exists, else by name at delivery. */
function resolveByName(byName: Map<string, string>, target: string): string {
  const name = target.slice(FOLDER_NAME_PREFIX.length);
  return byName.get(name.toLowerCase()) ?? target;
}
