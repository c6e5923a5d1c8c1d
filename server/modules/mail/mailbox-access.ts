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
}

type Runner = Pick<EntityManager, 'query'> | Pick<DataSource, 'query'>;

/**
 * Which mailbox a request acts on: the caller's own by default, or one an admin granted them
 * (`mailboxId`). Anything else is "not found", never "forbidden", so ids of other people's
 * mailboxes cannot be probed.
 */
export const MailboxAccess = {
  async resolve(runner: Runner, actor: Actor, mailboxId?: string): Promise<MailboxScope> {
    const rows: { id: string; grant: MailboxGrantLevel }[] = mailboxId
      ? await runner.query(
          `SELECT b.id, CASE WHEN b.member_id = $2 THEN 'owner' ELSE g.access END AS grant
             FROM mailboxes b
             LEFT JOIN mailbox_grants g ON g.tenant_id = b.tenant_id AND g.mailbox_id = b.id AND g.member_id = $2
            WHERE b.tenant_id = $1 AND b.id = $3 AND b.status = 'active'
              AND (b.member_id = $2 OR g.id IS NOT NULL)`,
          [actor.tenantId, actor.memberId, mailboxId],
        )
      : await runner.query(
          `SELECT id, 'owner' AS grant FROM mailboxes WHERE tenant_id = $1 AND member_id = $2 AND status = 'active'`,
          [actor.tenantId, actor.memberId],
        );
    const row = rows[0];
    if (!row) throw new NotFoundError('Mailbox');
    return { tenantId: actor.tenantId, mailboxId: row.id, memberId: actor.memberId, grant: row.grant };
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
