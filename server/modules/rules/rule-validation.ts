import type { EntityManager } from 'typeorm';
import { ErrorCodes } from '../../../shared/errors';
import type { RuleDefinition } from '../../../shared/rules/api';
import { AppError, NotFoundError } from '../../platform/errors';
import type { Actor } from '../../platform/http/actor';

/** Checks a saved rule can only make at save time (the schema already checked its shape and regexes). */

export const MAX_PERSONAL_RULES = 200;
export const MAX_ORG_RULES = 500;
/** System folders a rule may file into (not Sent, Drafts or Scheduled). */
const FILEABLE_ROLES = new Set(['inbox', 'archive', 'junk', 'trash']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class RuleFolderError extends AppError {
  constructor(message: string, details: unknown) {
    super(ErrorCodes.ruleFolderUnknown, 400, message, { details });
  }
}

export class RuleDepartmentError extends AppError {
  constructor(message: string, details: unknown) {
    super(ErrorCodes.ruleDepartmentUnknown, 400, message, { details });
  }
}

/**
 * Save-time checks of what a rule refers to (folders, then departments).
 * `move_to_folder` targets: a folder of this mailbox (personal rules only), `role:<inbox|archive|junk|trash>`
 * or `name:<folder name>`. Organization rules have no mailbox, so they file by role or name.
 * `sender_department`: a department of this organization.
 */
export async function checkFolderTargets(
  em: EntityManager,
  tenantId: string,
  mailboxId: string | null,
  definition: RuleDefinition,
): Promise<void> {
  const problems: { path: string; message: string }[] = [];
  const ids: { index: number; id: string }[] = [];
  definition.actions.forEach((action, index) => {
    if (action.type !== 'move_to_folder') return;
    const target = action.folderId;
    const path = `body.definition.actions.${index}.folderId`;
    if (target.startsWith('role:')) {
      if (!FILEABLE_ROLES.has(target.slice(5)))
        problems.push({ path, message: 'expected role:inbox, role:archive, role:junk or role:trash' });
    } else if (target.startsWith('name:')) {
      if (target.slice(5).trim() === '') problems.push({ path, message: 'folder name is empty' });
    } else if (mailboxId && UUID.test(target)) {
      ids.push({ index, id: target });
    } else {
      problems.push({
        path,
        message: mailboxId
          ? 'expected a folder id of your mailbox, role:<role> or name:<folder name>'
          : 'organization rules file by role:<role> or name:<folder name>',
      });
    }
  });
  if (ids.length > 0) {
    const rows: { id: string }[] = await em.query(
      `SELECT id FROM folders WHERE tenant_id = $1 AND mailbox_id = $2 AND id = ANY ($3::uuid[])
          AND (role IS NULL OR role IN ('inbox', 'archive', 'junk', 'trash'))`,
      [tenantId, mailboxId, ids.map((i) => i.id)],
    );
    const found = new Set(rows.map((r) => r.id));
    for (const i of ids)
      if (!found.has(i.id))
        problems.push({ path: `body.definition.actions.${i.index}.folderId`, message: 'no such folder' });
  }
  if (problems.length > 0) {
    throw new RuleFolderError(`Invalid folder: ${problems.map((p) => p.message).join('; ')}`, {
      issues: problems,
    });
  }
  await checkDepartments(em, tenantId, definition);
}

/** `sender_department` must name a department of this organization (it matches it and its subtree). */
async function checkDepartments(
  em: EntityManager,
  tenantId: string,
  definition: RuleDefinition,
): Promise<void> {
  const wanted: { index: number; id: string }[] = [];
  definition.conditions.forEach((c, index) => {
    if (c.field === 'sender_department') wanted.push({ index, id: c.departmentId });
  });
  if (wanted.length === 0) return;
  const rows: { external_id: string }[] = await em.query(
    `SELECT external_id FROM departments WHERE tenant_id = $1 AND external_id = ANY ($2::text[])`,
    [tenantId, wanted.map((w) => w.id)],
  );
  const found = new Set(rows.map((r) => r.external_id));
  const issues = wanted
    .filter((w) => !found.has(w.id))
    .map((w) => ({
      path: `body.definition.conditions.${w.index}.departmentId`,
      message: 'no such department',
    }));
  if (issues.length > 0)
    throw new RuleDepartmentError(`Unknown department: ${issues.map((i) => i.path).join(', ')}`, { issues });
}

/** The caller's own active mailbox; an account without one has no rules to manage. */
export async function ownMailboxId(em: Pick<EntityManager, 'query'>, actor: Actor): Promise<string> {
  const [row] = await em.query(
    `SELECT id FROM mailboxes WHERE tenant_id = $1 AND member_id = $2 AND status = 'active'`,
    [actor.tenantId, actor.memberId],
  );
  if (!row) throw new NotFoundError('Mailbox');
  return row.id;
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
