import type { DataSource, EntityManager } from 'typeorm';
import { ErrorCodes } from '../../../shared/errors';
import { ForbiddenError, NotFoundError } from '../../platform/errors';
import type { Actor } from '../../platform/http/actor';

export type MailboxGrantLevel = 'owner' | 'full' | 'read';

export interface MailboxScope {
  tenantId: string;
  mailboxId: string;
  /** The caller (not the mailbox owner when acting on a granted mailbox). */
  memberId: string;
  grant: MailboxGrantLevel;
  /** A time-boxed grant (an auditor's): every read through it writes an audit entry. */
  audited?: boolean;
}

/** What a read through an audited grant looked at (the audit entry's details). */
export interface ReadAudit {
  what: 'list' | 'thread' | 'message' | 'raw' | 'attachment' | 'search' | 'folders';
  id?: string;
}

type Runner = Pick<EntityManager, 'query'> | Pick<DataSource, 'query'>;

/**
 * Which mailbox a request acts on: the caller's own by default, or one an admin granted them
 * (`mailboxId`). Anything else is "not found", never "forbidden", so ids of other people's
 * mailboxes cannot be probed.
 */
export const MailboxAccess = {
  async resolve(runner: Runner, actor: Actor, mailboxId?: string, read?: ReadAudit): Promise<MailboxScope> {
    const rows: { id: string; grant: MailboxGrantLevel; grant_id: string | null; audited: boolean }[] =
      mailboxId
        ? await runner.query(
            `SELECT b.id, CASE WHEN b.member_id = $2 THEN 'owner' ELSE g.access END AS grant, g.id AS grant_id,
                  (b.member_id IS DISTINCT FROM $2 AND g.expires_at IS NOT NULL) AS audited
             FROM mailboxes b
             LEFT JOIN mailbox_grants g ON g.tenant_id = b.tenant_id AND g.mailbox_id = b.id AND g.member_id = $2
                   AND (g.expires_at IS NULL OR g.expires_at > now())
            WHERE b.tenant_id = $1 AND b.id = $3 AND b.status = 'active'
              AND (b.member_id = $2 OR g.id IS NOT NULL)`,
            [actor.tenantId, actor.memberId, mailboxId],
          )
        : await runner.query(
            `SELECT id, 'owner' AS grant, NULL AS grant_id, false AS audited
             FROM mailboxes WHERE tenant_id = $1 AND member_id = $2 AND status = 'active'`,
            [actor.tenantId, actor.memberId],
          );
    const row = rows[0];
    if (!row) throw new NotFoundError('Mailbox');
    if (row.audited) {
      // Written before the answer: a read that cannot be audited does not happen.
      await runner.query(
        `INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, target_type, target_id, details)
         VALUES ($1, 'member', $2, 'mailbox.audited_read', 'mailbox', $3, $4)`,
        [
          actor.tenantId,
          actor.memberId,
          row.id,
          JSON.stringify({ grantId: row.grant_id, what: read?.what ?? 'other', id: read?.id ?? null }),
        ],
      );
    }
    return {
      tenantId: actor.tenantId,
      mailboxId: row.id,
      memberId: actor.memberId,
      grant: row.grant,
      audited: row.audited,
    };
  },

  /** Read grants see a mailbox but change nothing in it. */
  requireWrite(scope: MailboxScope): void {
    if (scope.grant === 'read') {
      throw new ForbiddenError('You have read-only access to this mailbox', ErrorCodes.mailReadOnly);
    }
  },

  async resolveForWrite(runner: Runner, actor: Actor, mailboxId?: string): Promise<MailboxScope> {
    const scope = await MailboxAccess.resolve(runner, actor, mailboxId);
    MailboxAccess.requireWrite(scope);
    return scope;
  },
};
