import type { DataSource } from 'typeorm';
import { ErrorCodes } from '../../../shared/errors';
import type { AutoReplyBody, AutoReplyDto } from '../../../shared/mail/vacation';
import type {
  ForwardingBody,
  ForwardingDto,
  MemberAppPasswordList,
} from '../../../shared/member-ops/member-ops';
import type { Clock } from '../../platform/clock';
import { returning } from '../../platform/db/returning';
import { AppError, NotFoundError } from '../../platform/errors';
import type { Actor, RequestContext } from '../../platform/http/actor';
import type { AuditService } from '../admin';
import type { MailboxPurgeService } from '../mailboxes';
import type { RulesService } from '../rules';
import type { AutoReplyService } from '../transport';

/** The personal rule that carries an admin-set forward (the member sees it among their rules). */
export const FORWARD_RULE_NAME = '邮件转发（管理员设置）';

export interface MemberOpsDeps {
  ds: DataSource;
  clock: Clock;
  audit: AuditService;
  autoReplies: AutoReplyService;
  rules: RulesService;
  purge: MailboxPurgeService;
}

/**
 * What an admin does for one member from the console: revoke app passwords, set forwarding and an
 * auto-reply on their behalf (the member's own settings services do the work, acting as the
 * member), and delete the mailbox once an export of it has finished. Every change is audited.
 */
export class MemberOpsService {
  constructor(private readonly d: MemberOpsDeps) {}

  async appPasswords(actor: Actor, memberId: string): Promise<MemberAppPasswordList> {
    await this.member(actor, memberId);
    const rows: { id: string; name: string; created_at: Date; last_used_at: Date | null }[] =
      await this.d.ds.query(
        `SELECT id, name, created_at, last_used_at FROM app_passwords
          WHERE tenant_id = $1 AND member_id = $2 AND revoked_at IS NULL ORDER BY created_at DESC`,
        [actor.tenantId, memberId],
      );
    return {
      appPasswords: rows.map((r) => ({
        id: r.id,
        name: r.name,
        createdAt: r.created_at.toISOString(),
        lastUsedAt: r.last_used_at?.toISOString() ?? null,
      })),
    };
  }

  /** Every live app password of the member stops working at once (SMTP AUTH checks revoked_at). */
  async revokeAppPasswords(
    actor: Actor,
    memberId: string,
    ctx: RequestContext,
  ): Promise<{ revoked: number }> {
    await this.member(actor, memberId);
    return this.d.ds.transaction(async (em) => {
      const rows = await returning<{ id: string }>(
        em,
        `UPDATE app_passwords SET revoked_at = $3 WHERE tenant_id = $1 AND member_id = $2 AND revoked_at IS NULL
         RETURNING id`,
        [actor.tenantId, memberId, this.d.clock.now()],
      );
      await this.d.audit.record(em, {
        tenantId: actor.tenantId,
        actorType: 'member',
        actorId: actor.memberId,
        action: 'member.app_passwords_revoked',
        targetType: 'member',
        targetId: memberId,
        details: { revoked: rows.length, ids: rows.map((r) => r.id) },
        ctx,
      });
      return { revoked: rows.length };
    });
  }

  /** Every session of the member (H5, console) ends on its next request: their tokens are refused. */
  async endSessions(actor: Actor, memberId: string, ctx: RequestContext): Promise<void> {
    await this.member(actor, memberId);
    await this.d.ds.transaction(async (em) => {
      await em.query(
        `UPDATE members SET token_generation = token_generation + 1 WHERE tenant_id = $1 AND id = $2`,
        [actor.tenantId, memberId],
      );
      await this.d.audit.record(em, {
        tenantId: actor.tenantId,
        actorType: 'member',
        actorId: actor.memberId,
        action: 'member.sessions_ended',
        targetType: 'member',
        targetId: memberId,
        ctx,
      });
    });
  }

  async autoReply(actor: Actor, memberId: string): Promise<AutoReplyDto> {
    return this.d.autoReplies.get(await this.as(actor, memberId));
  }

  async setAutoReply(
    actor: Actor,
    memberId: string,
    body: AutoReplyBody,
    ctx: RequestContext,
  ): Promise<AutoReplyDto> {
    const saved = await this.d.autoReplies.put(await this.as(actor, memberId), body);
    await this.d.audit.record(this.d.ds.manager, {
      tenantId: actor.tenantId,
      actorType: 'member',
      actorId: actor.memberId,
      action: 'member.auto_reply_set',
      targetType: 'member',
      targetId: memberId,
      details: { enabled: body.enabled, startDate: body.startDate, endDate: body.endDate },
      ctx,
    });
    return saved;
  }

  async forwarding(actor: Actor, memberId: string): Promise<ForwardingDto> {
    const rule = await this.forwardRule(await this.as(actor, memberId));
    if (!rule) return { enabled: false, to: null, keepCopy: true };
    const forward = rule.definition.actions.find((a) => a.type === 'forward');
    return {
      enabled: rule.enabled,
      to: forward && 'to' in forward ? forward.to : null,
      keepCopy: !rule.definition.actions.some((a) => a.type === 'delete'),
    };
  }

  /** Forwarding is a personal rule of the member's (every message: forward, and delete unless kept). */
  async setForwarding(
    actor: Actor,
    memberId: string,
    body: ForwardingBody,
    ctx: RequestContext,
  ): Promise<ForwardingDto> {
    const as = await this.as(actor, memberId);
    const existing = await this.forwardRule(as);
    if (!body.enabled) {
      if (existing) await this.d.rules.remove(as, existing.id);
    } else {
      const save = {
        name: FORWARD_RULE_NAME,
        enabled: true,
        definition: {
          match: 'all' as const,
          conditions: [{ field: 'size' as const, operator: 'gt' as const, bytes: 0 }],
          actions: [
            { type: 'forward' as const, to: body.to! },
            ...(body.keepCopy ? [] : [{ type: 'delete' as const }]),
          ],
        },
      };
      if (existing) await this.d.rules.update(as, existing.id, save);
      else await this.d.rules.create(as, save);
    }
    await this.d.audit.record(this.d.ds.manager, {
      tenantId: actor.tenantId,
      actorType: 'member',
      actorId: actor.memberId,
      action: 'member.forwarding_set',
      targetType: 'member',
      targetId: memberId,
      details: { enabled: body.enabled, to: body.to ?? null, keepCopy: body.keepCopy },
      ctx,
    });
    return this.forwarding(actor, memberId);
  }

  /**
   * Deletes the member's mailbox (mail, folders, addresses) through the retention purge, with the
   * given export as its archive. Refused (409 mailbox.export_required) unless that export of this
   * mailbox has finished and is newer than the mailbox's last message.
   */
  async deleteMailbox(actor: Actor, memberId: string, exportId: string, ctx: RequestContext) {
    const { mailbox_id: mailboxId } = await this.member(actor, memberId);
    if (!mailboxId) throw new NotFoundError('Mailbox');
    const [archive]: { id: string; address: string; size: string; status: string; fresh: boolean }[] =
      await this.d.ds.query(
        `SELECT e.id, e.address, e.size, e.status,
                e.created_at >= coalesce((SELECT max(m.created_at) FROM messages m
                                           WHERE m.tenant_id = e.tenant_id AND m.mailbox_id = e.mailbox_id), '-infinity') AS fresh
           FROM mailbox_exports e WHERE e.tenant_id = $1 AND e.id = $2 AND e.mailbox_id = $3`,
        [actor.tenantId, exportId, mailboxId],
      );
    if (!archive || archive.status !== 'ready' || !archive.fresh) {
      throw new AppError(
        ErrorCodes.mailboxExportRequired,
        409,
        !archive
          ? 'Export this mailbox first'
          : archive.status !== 'ready'
            ? 'The export has not finished yet'
            : 'Mail arrived after this export; export the mailbox again',
        { details: { exportId, status: archive?.status ?? null } },
      );
    }
    await this.d.ds.transaction(async (em) => {
      await em.query(
        `UPDATE mailboxes SET status = 'suspended', purge_after = $3, suspended_at = coalesce(suspended_at, $3),
                updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND status <> 'purged'`,
        [actor.tenantId, mailboxId, this.d.clock.now()],
      );
      await this.d.audit.record(em, {
        tenantId: actor.tenantId,
        actorType: 'member',
        actorId: actor.memberId,
        action: 'member.mailbox_deleted',
        targetType: 'mailbox',
        targetId: mailboxId,
        details: { memberId, exportId, address: archive.address },
        ctx,
      });
    });
    const purged = await this.d.purge.purgeOne(actor.tenantId, mailboxId, archive);
    if (!purged) throw new NotFoundError('Mailbox');
    return { mailboxId, exportId, purged: true as const };
  }

  private async forwardRule(as: Actor) {
    return (await this.d.rules.list(as)).find((r) => r.scope === 'personal' && r.name === FORWARD_RULE_NAME);
  }

  /** The member (of the caller's organization) and their mailbox; 404 otherwise. */
  private async member(actor: Actor, memberId: string): Promise<{ mailbox_id: string | null }> {
    const [row]: { mailbox_id: string | null }[] = await this.d.ds.query(
      `SELECT (SELECT b.id FROM mailboxes b WHERE b.tenant_id = m.tenant_id AND b.member_id = m.id AND b.status <> 'purged'
                LIMIT 1) AS mailbox_id
         FROM members m WHERE m.tenant_id = $1 AND m.id = $2`,
      [actor.tenantId, memberId],
    );
    if (!row) throw new NotFoundError('Member');
    return row;
  }

  /** Acting as the member on their own settings (the admin's identity goes into the audit entry). */
  private async as(actor: Actor, memberId: string): Promise<Actor> {
    const { mailbox_id } = await this.member(actor, memberId);
    if (!mailbox_id) throw new NotFoundError('Mailbox');
    return { tenantId: actor.tenantId, memberId, roles: ['employee'], scope: 'full' };
  }
}
