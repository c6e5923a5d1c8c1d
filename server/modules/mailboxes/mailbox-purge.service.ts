import type { DataSource, EntityManager } from 'typeorm';
import { SYNC_POLICY_KEY, SyncPolicy } from '../../../shared/directory/sync-policy';
import type { Clock } from '../../platform/clock';
import type { Logger } from '../../platform/logger';
import type { AuditService } from '../admin';
import { purgeMessages } from '../mail';
import type { SettingsService } from '../tenants';
import type { ExportRow, MailboxExportService } from './mailbox-export.service';

export interface PurgeOutcome {
  purged: number;
  failed: number;
  /** Still due (left for the next run when `limit` was reached). */
  remaining: number;
}

/**
 * The end of a departed member's retention: their mailbox is exported first (the archive kept for
 * the policy's `exportKeepDays`), then its mail, folders and addresses are deleted and the
 * mailbox is marked purged. A member who rejoined meanwhile is left alone; an export that fails
 * stops that purge, so nothing is ever deleted without an archive.
 */
export class MailboxPurgeService {
  constructor(
    private readonly d: {
      ds: DataSource;
      exports: MailboxExportService;
      settings: SettingsService;
      audit: AuditService;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  async purgeDue(
    opts: { limit?: number; progress?: (done: number, total: number) => Promise<void> } = {},
  ): Promise<PurgeOutcome> {
    const now = this.d.clock.now();
    const due: { tenant_id: string; id: string }[] = await this.d.ds.query(
      `SELECT tenant_id, id FROM mailboxes WHERE status = 'suspended' AND purge_after <= $1
        ORDER BY purge_after LIMIT $2`,
      [now, (opts.limit ?? 500) + 1],
    );
    const batch = due.slice(0, opts.limit ?? 500);
    let purged = 0;
    let failed = 0;
    for (const [i, box] of batch.entries()) {
      try {
        if (await this.purgeOne(box.tenant_id, box.id)) purged++;
      } catch (err) {
        failed++;
        this.d.logger.error({ err, tenantId: box.tenant_id, mailboxId: box.id }, 'mailbox purge failed');
      }
      await opts.progress?.(i + 1, batch.length);
    }
    return { purged, failed, remaining: due.length - batch.length };
  }

  /**
   * Exports then purges one mailbox if it is still due; false when it was not (e.g. rejoined).
   * `archive`: an export already finished (an admin's delete), used instead of making another.
   */
  async purgeOne(
    tenantId: string,
    mailboxId: string,
    archive?: Pick<ExportRow, 'id' | 'address' | 'size'>,
  ): Promise<boolean> {
    if (!(await this.stillDue(this.d.ds.manager, tenantId, mailboxId, false))) return false;
    if (!archive) {
      const policy = await this.d.settings.get(tenantId, SYNC_POLICY_KEY, SyncPolicy);
      archive = await this.d.exports.exportMailbox(tenantId, mailboxId, {
        reason: 'purge',
        keepDays: policy.exportKeepDays,
      });
    }
    const done = archive;
    return this.d.ds.transaction(async (em) => {
      const box = await this.stillDue(em, tenantId, mailboxId, true);
      if (!box) return false;
      // The mail store's own deletion: usage, and blobs no other mailbox (or queued send) still holds.
      const removed = await purgeMessages(
        em,
        { tenantId, mailboxId, memberId: box.member_id ?? '', grant: 'owner' },
        'true',
        [],
      );
      await em.query(`DELETE FROM folders WHERE tenant_id = $1 AND mailbox_id = $2`, [tenantId, mailboxId]);
      await em.query(`DELETE FROM addresses WHERE tenant_id = $1 AND mailbox_id = $2`, [tenantId, mailboxId]);
      await em.query(
        `UPDATE mailboxes SET status = 'purged', used_bytes = 0, purge_after = NULL, updated_at = now()
          WHERE tenant_id = $1 AND id = $2`,
        [tenantId, mailboxId],
      );
      if (box.member_id) {
        await em.query(
          `UPDATE members SET status = 'purged', updated_at = now() WHERE tenant_id = $1 AND id = $2 AND status = 'suspended'`,
          [tenantId, box.member_id],
        );
      }
      await this.d.audit.record(em, {
        tenantId,
        actorType: 'system',
        action: 'mailbox.purged',
        targetType: 'mailbox',
        targetId: mailboxId,
        details: {
          address: done.address,
          memberId: box.member_id,
          messages: removed,
          exportId: done.id,
          exportSize: Number(done.size),
        },
      });
      return true;
    });
  }

  private async stillDue(
    em: EntityManager,
    tenantId: string,
    mailboxId: string,
    lock: boolean,
  ): Promise<{ member_id: string | null } | undefined> {
    const [box]: { member_id: string | null }[] = await em.query(
      `SELECT member_id FROM mailboxes
        WHERE tenant_id = $1 AND id = $2 AND status = 'suspended' AND purge_after <= $3
        ${lock ? 'FOR UPDATE' : ''}`,
      [tenantId, mailboxId, this.d.clock.now()],
    );
    return box;
  }
}
