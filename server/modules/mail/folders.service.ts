import type { DataSource, EntityManager } from 'typeorm';
import type { CreateFolderBody, FolderDto, UpdateFolderBody } from '../../../shared/mail/folders';
import { ErrorCodes } from '../../../shared/errors';
import { AppError, NotFoundError } from '../../platform/errors';
import type { Actor } from '../../platform/http/actor';
import { MailboxAccess, type MailboxScope } from './mailbox-access';
import { systemFolderIds, type FolderRole } from './mail-store.repository';

interface FolderRow {
  id: string;
  parent_id: string | null;
  name: string;
  role: FolderRole | null;
}

const ROLE_ORDER = `CASE f.role WHEN 'inbox' THEN 0 WHEN 'drafts' THEN 1 WHEN 'scheduled' THEN 2 WHEN 'sent' THEN 3
  WHEN 'archive' THEN 4 WHEN 'junk' THEN 5 WHEN 'trash' THEN 6 ELSE 7 END`;

/** A folder of this mailbox, or 404 (also for another mailbox's folder). */
export async function folderOf(
  em: Pick<EntityManager, 'query'>,
  scope: MailboxScope,
  id: string,
  lock = false,
) {
  const [row]: FolderRow[] = await em.query(
    `SELECT id, parent_id, name, role FROM folders WHERE tenant_id = $1 AND mailbox_id = $2 AND id = $3
      ${lock ? 'FOR UPDATE' : ''}`,
    [scope.tenantId, scope.mailboxId, id],
  );
  if (!row) throw new NotFoundError('Folder');
  return row;
}

/** The id of a system folder of this mailbox (created on first use, like delivery does). */
export async function roleFolderId(
  em: EntityManager,
  scope: MailboxScope,
  role: FolderRole,
): Promise<string> {
  const [found]: { id: string }[] = await em.query(
    `SELECT id FROM folders WHERE tenant_id = $1 AND mailbox_id = $2 AND role = $3`,
    [scope.tenantId, scope.mailboxId, role],
  );
  if (found) return found.id;
  const ids = await systemFolderIds(em, scope.tenantId, [scope.mailboxId], role);
  return ids.get(scope.mailboxId)!;
}

/** Folders: the seven system folders every mailbox has, plus the member's own, nested by parentId. */
export class FoldersService {
  constructor(private readonly ds: DataSource) {}

  async list(actor: Actor, mailboxId?: string): Promise<FolderDto[]> {
    const scope = await MailboxAccess.resolve(this.ds, actor, mailboxId, { what: 'folders' });
    await roleFolderId(this.ds.manager, scope, 'inbox');
    // counts are kept by triggers on messages (see the mail-api migration)
    const rows: (FolderRow & { total: number; unread: number })[] = await this.ds.query(
      `SELECT f.id, f.parent_id, f.name, f.role, f.total_count::int AS total, f.unread_count::int AS unread
         FROM folders f
        WHERE f.tenant_id = $1 AND f.mailbox_id = $2
        ORDER BY ${ROLE_ORDER}, lower(f.name), f.id`,
      [scope.tenantId, scope.mailboxId],
    );
    return rows.map(presentFolder);
  }

  async create(actor: Actor, mailboxId: string | undefined, body: CreateFolderBody): Promise<FolderDto> {
    return this.ds
      .transaction(async (em) => {
        const scope = await MailboxAccess.resolveForWrite(em, actor, mailboxId);
        // system folders first, so a custom "Inbox" can never take the name the real one needs
        await roleFolderId(em, scope, 'inbox');
        const parentId = body.parentId ?? null;
        if (parentId) await folderOf(em, scope, parentId);
        await this.assertNameFree(em, scope, parentId, body.name, null);
        const [row]: FolderRow[] = await em.query(
          `INSERT INTO folders (tenant_id, mailbox_id, parent_id, name) VALUES ($1, $2, $3, $4)
         RETURNING id, parent_id, name, role`,
          [scope.tenantId, scope.mailboxId, parentId, body.name],
        );
        return presentFolder({ ...row!, total: 0, unread: 0 });
      })
      .catch(mapNameConflict);
  }

  async update(
    actor: Actor,
    mailboxId: string | undefined,
    id: string,
    body: UpdateFolderBody,
  ): Promise<FolderDto> {
    await this.ds
      .transaction(async (em) => {
        const scope = await MailboxAccess.resolveForWrite(em, actor, mailboxId);
        const folder = await folderOf(em, scope, id, true);
        if (folder.role) {
          throw new AppError(ErrorCodes.mailSystemFolder, 400, 'System folders cannot be renamed or moved');
        }
        const parentId = body.parentId === undefined ? folder.parent_id : body.parentId;
        if (parentId) {
          await folderOf(em, scope, parentId);
          const [cycle] = await em.query(
            `WITH RECURSIVE up(id, parent_id) AS (
             SELECT id, parent_id FROM folders WHERE tenant_id = $1 AND mailbox_id = $2 AND id = $3
             UNION ALL
             SELECT f.id, f.parent_id FROM folders f JOIN up ON f.tenant_id = $1 AND f.id = up.parent_id
           ) CYCLE id SET looped USING path
           SELECT 1 FROM up WHERE id = $4 LIMIT 1`,
            [scope.tenantId, scope.mailboxId, parentId, id],
          );
          if (cycle) {
            throw new AppError(
              ErrorCodes.mailFolderCycle,
              400,
              'A folder cannot be moved into itself or its own subfolder',
            );
          }
        }
        const name = body.name ?? folder.name;
        await this.assertNameFree(em, scope, parentId, name, id);
        await em.query(
          `UPDATE folders SET name = $4, parent_id = $5 WHERE tenant_id = $1 AND mailbox_id = $2 AND id = $3`,
          [scope.tenantId, scope.mailboxId, id, name, parentId],
        );
      })
      .catch(mapNameConflict);
    const scope = await MailboxAccess.resolve(this.ds, actor, mailboxId);
    const [row] = await this.ds.query(
      `SELECT f.id, f.parent_id, f.name, f.role, f.total_count::int AS total, f.unread_count::int AS unread
         FROM folders f WHERE f.tenant_id = $1 AND f.mailbox_id = $2 AND f.id = $3`,
      [scope.tenantId, scope.mailboxId, id],
    );
    return presentFolder(row);
  }

  /** Deletes a custom folder and its subfolders; their messages go to Trash (restore then finds the Inbox). */
  async remove(actor: Actor, mailboxId: string | undefined, id: string): Promise<{ affected: number }> {
    return this.ds.transaction(async (em) => {
      const scope = await MailboxAccess.resolveForWrite(em, actor, mailboxId);
      const folder = await folderOf(em, scope, id);
      if (folder.role)
        throw new AppError(ErrorCodes.mailSystemFolder, 400, 'System folders cannot be deleted');
      const trashId = await roleFolderId(em, scope, 'trash');
      // Locking the folders first makes a concurrent delivery into them wait (its foreign key check
      // needs a share lock), so no message can land in a folder between the move and the delete.
      const subtree: { id: string }[] = await em.query(
        `WITH RECURSIVE down(id) AS (
           SELECT id FROM folders WHERE tenant_id = $1 AND mailbox_id = $2 AND id = $3
           UNION
           SELECT f.id FROM folders f JOIN down ON f.tenant_id = $1 AND f.parent_id = down.id
         ) SELECT f.id FROM folders f JOIN down USING (id) WHERE f.tenant_id = $1 FOR UPDATE OF f`,
        [scope.tenantId, scope.mailboxId, id],
      );
      const ids = subtree.map((r) => r.id);
      const [, moved] = await em.query(
        `UPDATE messages SET folder_id = $4, trashed_from_folder_id = NULL
          WHERE tenant_id = $1 AND mailbox_id = $2 AND folder_id = ANY($3)`,
        [scope.tenantId, scope.mailboxId, ids, trashId],
      );
      await em.query(`DELETE FROM folders WHERE tenant_id = $1 AND mailbox_id = $2 AND id = $3`, [
        scope.tenantId,
        scope.mailboxId,
        id,
      ]);
      return { affected: Number(moved) };
    });
  }

  private async assertNameFree(
    em: EntityManager,
    scope: MailboxScope,
    parentId: string | null,
    name: string,
    exceptId: string | null,
  ): Promise<void> {
    const [clash] = await em.query(
      `SELECT 1 FROM folders WHERE tenant_id = $1 AND mailbox_id = $2 AND parent_id IS NOT DISTINCT FROM $3
          AND lower(name) = lower($4) AND ($5::uuid IS NULL OR id <> $5)`,
      [scope.tenantId, scope.mailboxId, parentId, name, exceptId],
    );
    if (clash) throw nameTaken();
  }
}

function nameTaken(): AppError {
  return new AppError(ErrorCodes.mailFolderExists, 409, 'A folder with this name already exists here');
}

function mapNameConflict(err: unknown): never {
  if ((err as { driverError?: { code?: string } }).driverError?.code === '23505') throw nameTaken();
  throw err;
}

function presentFolder(r: FolderRow & { total: number; unread: number }): FolderDto {
  return { id: r.id, parentId: r.parent_id, name: r.name, role: r.role, total: r.total, unread: r.unread };
}
