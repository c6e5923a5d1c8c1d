import type { EntityManager } from 'typeorm';
import { returning } from '../../platform/db/returning';
import type { MailboxScope } from './mailbox-access';

/**
 * Deletes messages for good, inside the caller's transaction: the mailbox's usage shrinks by
 * their sizes, and each blob no other message row references any more is removed.
 *
 * Blob rows are locked (FOR UPDATE, in key order) before the "still referenced?" check: a delivery
 * that is inserting a message for the same content holds a key-share lock on the blob through its
 * foreign key check, so the lock waits for it to commit and the check (a new statement, so a new
 * snapshot) then sees its row. Anything else that references a blob (an outbound queue row)
 * makes the delete fail its foreign key; that blob is simply kept.
 */
export async function purgeMessages(
  em: EntityManager,
  scope: MailboxScope,
  where: string,
  params: unknown[],
) {
  const gone = await returning<{ blob_sha256: string; size: string }>(
    em,
    `DELETE FROM messages m WHERE m.tenant_id = $1 AND m.mailbox_id = $2 AND ${where} RETURNING m.blob_sha256, m.size`,
    [scope.tenantId, scope.mailboxId, ...params],
  );
  if (gone.length === 0) return 0;
  const bytes = gone.reduce((sum, r) => sum + Number(r.size), 0);
  await em.query(
    `UPDATE mailboxes SET used_bytes = greatest(0, used_bytes - $3), updated_at = now() WHERE tenant_id = $1 AND id = $2`,
    [scope.tenantId, scope.mailboxId, bytes],
  );
  const blobs = [...new Set(gone.map((r) => r.blob_sha256))].sort();
  await em.query(
    `SELECT 1 FROM mail_blobs WHERE tenant_id = $1 AND sha256 = ANY($2) ORDER BY sha256 FOR UPDATE`,
    [scope.tenantId, blobs],
  );
  if (!(await tryDeleteBlobs(em, scope.tenantId, blobs))) {
    for (const blob of blobs) await tryDeleteBlobs(em, scope.tenantId, [blob]);
  }
  return gone.length;
}

async function tryDeleteBlobs(em: EntityManager, tenantId: string, blobs: string[]): Promise<boolean> {
  await em.query('SAVEPOINT purge_blobs');
  try {
    await em.query(
      `DELETE FROM mail_blobs b WHERE b.tenant_id = $1 AND b.sha256 = ANY($2)
          AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.tenant_id = b.tenant_id AND m.blob_sha256 = b.sha256)`,
      [tenantId, blobs],
    );
    await em.query('RELEASE SAVEPOINT purge_blobs');
    return true;
  } catch (err) {
    if ((err as { driverError?: { code?: string } }).driverError?.code !== '23503') throw err;
    await em.query('ROLLBACK TO SAVEPOINT purge_blobs');
    return false;
  }
}
