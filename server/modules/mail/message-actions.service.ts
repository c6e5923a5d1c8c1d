import type { DataSource, EntityManager } from 'typeorm';
import type { AffectedDto } from '../../../shared/mail/folders';
import type { BatchBody, MessageSummaryDto, UpdateMessageBody } from '../../../shared/mail/messages';
import { returning } from '../../platform/db/returning';
import { NotFoundError } from '../../platform/errors';
import type { Actor } from '../../platform/http/actor';
import { folderOf, roleFolderId } from './folders.service';
import { MailboxAccess, type MailboxScope } from './mailbox-access';
import { presentSummary, SUMMARY_COLUMNS, type SummaryRow } from './mail.presenter';
import { purgeMessages } from './message-purge';

/** Flags, moves, Trash and permanent deletion. Every change needs owner or full access. */
export class MessageActionsService {
  constructor(private readonly ds: DataSource) {}

  async update(
    actor: Actor,
    mailboxId: string | undefined,
    id: string,
    body: UpdateMessageBody,
  ): Promise<MessageSummaryDto> {
    return this.ds.transaction(async (em) => {
      const scope = await MailboxAccess.resolveForWrite(em, actor, mailboxId);
      if (body.folderId) await this.move(em, scope, [id], body.folderId);
      const [row] = await returning<SummaryRow>(
        em,
        `UPDATE messages m SET is_seen = coalesce($4, m.is_seen), is_flagged = coalesce($5, m.is_flagged),
                is_answered = coalesce($6, m.is_answered), labels = coalesce($7, m.labels)
          WHERE m.tenant_id = $1 AND m.mailbox_id = $2 AND m.id = $3 RETURNING ${SUMMARY_COLUMNS}`,
        [
          scope.tenantId,
          scope.mailboxId,
          id,
          body.seen ?? null,
          body.flagged ?? null,
          body.answered ?? null,
          body.labels ? [...new Set(body.labels)] : null,
        ],
      );
      if (!row) throw new NotFoundError('Message');
      return presentSummary(row);
    });
  }

  async batch(actor: Actor, mailboxId: string | undefined, body: BatchBody): Promise<AffectedDto> {
    return this.ds.transaction(async (em) => {
      const scope = await MailboxAccess.resolveForWrite(em, actor, mailboxId);
      const ids = [...new Set(body.ids)];
      switch (body.action) {
        case 'move':
          return { affected: await this.move(em, scope, ids, body.folderId!) };
        case 'trash':
          return { affected: await this.move(em, scope, ids, await roleFolderId(em, scope, 'trash')) };
        case 'restore':
          return { affected: await this.restore(em, scope, ids) };
        case 'delete':
          return { affected: await this.purge(em, scope, ids) };
        default: {
          const [column, value] = FLAG_ACTIONS[body.action];
          const rows = await returning(
            em,
            `UPDATE messages SET ${column} = $4 WHERE tenant_id = $1 AND mailbox_id = $2 AND id = ANY($3)
                AND ${column} IS DISTINCT FROM $4 RETURNING id`,
            [scope.tenantId, scope.mailboxId, ids, value],
          );
          return { affected: rows.length };
        }
      }
    });
  }

  /** DELETE on one message: to Trash, or gone for good when it already is in Trash or Junk. */
  async remove(
    actor: Actor,
    mailboxId: string | undefined,
    id: string,
  ): Promise<{ outcome: 'trashed' | 'deleted' }> {
    return this.ds.transaction(async (em) => {
      const scope = await MailboxAccess.resolveForWrite(em, actor, mailboxId);
      if ((await this.purge(em, scope, [id])) > 0) return { outcome: 'deleted' as const };
      if ((await this.move(em, scope, [id], await roleFolderId(em, scope, 'trash'))) === 0) {
        throw new NotFoundError('Message');
      }
      return { outcome: 'trashed' as const };
    });
  }

  async empty(actor: Actor, mailboxId: string | undefined, role: 'trash' | 'junk'): Promise<AffectedDto> {
    return this.ds.transaction(async (em) => {
      const scope = await MailboxAccess.resolveForWrite(em, actor, mailboxId);
      const folderId = await roleFolderId(em, scope, role);
      return { affected: await purgeMessages(em, scope, 'm.folder_id = $3', [folderId]) };
    });
  }

  /** Moving into Trash remembers where each message was; moving anywhere else forgets it. */
  private async move(
    em: EntityManager,
    scope: MailboxScope,
    ids: string[],
    folderId: string,
  ): Promise<number> {
    await folderOf(em, scope, folderId);
    const trashId = await roleFolderId(em, scope, 'trash');
    const rows = await returning(
      em,
      `UPDATE messages SET
              trashed_from_folder_id = CASE WHEN $4::uuid <> $5::uuid THEN NULL
                                            WHEN folder_id = $5 THEN trashed_from_folder_id ELSE folder_id END,
              folder_id = $4
        WHERE tenant_id = $1 AND mailbox_id = $2 AND id = ANY($3) RETURNING id`,
      [scope.tenantId, scope.mailboxId, ids, folderId, trashId],
    );
    return rows.length;
  }

  /** Trash or Junk back to where it came from (the Inbox when that folder is gone or unknown). */
  private async restore(em: EntityManager, scope: MailboxScope, ids: string[]): Promise<number> {
    const [trashId, junkId, inboxId] = [
      await roleFolderId(em, scope, 'trash'),
      await roleFolderId(em, scope, 'junk'),
      await roleFolderId(em, scope, 'inbox'),
    ];
    const rows = await returning(
      em,
      `UPDATE messages SET folder_id = coalesce(trashed_from_folder_id, $6), trashed_from_folder_id = NULL
        WHERE tenant_id = $1 AND mailbox_id = $2 AND id = ANY($3) AND folder_id IN ($4, $5) RETURNING id`,
      [scope.tenantId, scope.mailboxId, ids, trashId, junkId, inboxId],
    );
    return rows.length;
  }

  private async purge(em: EntityManager, scope: MailboxScope, ids: string[]): Promise<number> {
    const trashId = await roleFolderId(em, scope, 'trash');
    const junkId = await roleFolderId(em, scope, 'junk');
    return purgeMessages(em, scope, 'm.id = ANY($3) AND m.folder_id IN ($4, $5)', [ids, trashId, junkId]);
  }
}

const FLAG_ACTIONS = {
  seen: ['is_seen', true],
  unseen: ['is_seen', false],
  flag: ['is_flagged', true],
  unflag: ['is_flagged', false],
} as const;
