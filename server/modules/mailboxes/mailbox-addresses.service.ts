import type { DataSource, EntityManager } from 'typeorm';
import type { Role } from '../../../shared/auth';
import { validateLocalPart } from '../../../shared/directory/address-template';
import { SYNC_POLICY_KEY, SyncPolicy } from '../../../shared/directory/sync-policy';
import { returning } from '../../platform/db/returning';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../platform/errors';
import { hasRole, type Actor, type RequestContext } from '../../platform/http/actor';
import type { AuditService } from '../admin';
import type { SettingsService } from '../tenants';

export interface MailboxAlias {
  id: string;
  address: string;
  createdAt: Date;
}

/** A member's mailbox and every address that delivers to it. */
export interface MailboxAddresses {
  mailboxId: string;
  memberId: string;
  primary: string;
  aliases: MailboxAlias[];
}

interface MailboxRow {
  id: string;
  member_id: string;
  domain_id: string;
  local_part: string;
  domain: string;
}

interface AddressHolder {
  id: string;
  kind: 'mailbox' | 'alias' | 'group';
  mailbox_id: string | null;
}

/**
 * An admin's overrides of one member's addresses: a new primary, extra aliases. Every address
 * lives in the one `addresses` namespace the directory sync allocates from, so an address taken
 * here is never handed to a newcomer. A replaced primary stays on as an alias: mail sent to it
 * keeps arriving, and it cannot pass to someone else while this mailbox exists.
 * Races end at the unique index (tenant, domain, local part); its 23505 is left to the error
 * handler, which answers 409.
 */
export class MailboxAddressesService {
  constructor(
    private readonly ds: DataSource,
    private readonly settings: SettingsService,
    private readonly audit: AuditService,
  ) {}

  async get(actor: Actor, memberId: string): Promise<MailboxAddresses> {
    requireRole(actor, 'admin', 'auditor');
    const box = await findMailbox(this.ds.manager, actor.tenantId, memberId, false);
    return load(this.ds.manager, actor.tenantId, box.id, memberId);
  }

  /** The member's primary becomes `localPart` on the tenant's primary domain; the old one an alias. */
  async setPrimary(
    actor: Actor,
    memberId: string,
    localPart: string,
    ctx: RequestContext,
  ): Promise<MailboxAddresses> {
    requireRole(actor, 'admin');
    await this.checkLocalPart(actor.tenantId, localPart);
    return this.ds.transaction(async (em) => {
      const box = await findMailbox(em, actor.tenantId, memberId, true);
      const domain = await primaryDomain(em, actor.tenantId);
      if (box.domain_id === domain.id && box.local_part === localPart) {
        return load(em, actor.tenantId, box.id, memberId); // already so: nothing to change or audit
      }
      const holder = await holderOf(em, actor.tenantId, domain.id, localPart);
      if (holder && holder.mailbox_id !== box.id) throw takenError(localPart, domain.name);
      if (holder) {
        // One of its own aliases: the two swap roles, so neither address stops delivering.
        await em.query(
          `UPDATE addresses SET kind = CASE WHEN id = $3 THEN 'mailbox' ELSE 'alias' END
            WHERE tenant_id = $1 AND mailbox_id = $2 AND (id = $3 OR kind = 'mailbox')`,
          [actor.tenantId, box.id, holder.id],
        );
      } else {
        await em.query(
          `UPDATE addresses SET kind = 'alias' WHERE tenant_id = $1 AND mailbox_id = $2 AND kind = 'mailbox'`,
          [actor.tenantId, box.id],
        );
        // A concurrent claim of the same local part fails here on the unique index (→ 409).
        await em.query(
          `INSERT INTO addresses (tenant_id, domain_id, local_part, kind, mailbox_id) VALUES ($1, $2, $3, 'mailbox', $4)`,
          [actor.tenantId, domain.id, localPart, box.id],
        );
      }
      const after = `${localPart}@${domain.name}`;
      await em.query(
        `UPDATE mailboxes SET domain_id = $3, local_part = $4, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
        [actor.tenantId, box.id, domain.id, localPart],
      );
      await em.query(`UPDATE members SET email = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`, [
        actor.tenantId,
        memberId,
        after,
      ]);
      await this.audit.record(em, {
        tenantId: actor.tenantId,
        actorType: 'member',
        actorId: actor.memberId,
        action: 'mailbox.address_changed',
        targetType: 'mailbox',
        targetId: box.id,
        details: {
          memberId,
          before: `${box.local_part}@${box.domain}`,
          after,
          swapped: holder !== undefined,
        },
        ctx,
      });
      return load(em, actor.tenantId, box.id, memberId);
    });
  }

  async addAlias(
    actor: Actor,
    memberId: string,
    localPart: string,
    ctx: RequestContext,
  ): Promise<MailboxAddresses> {
    requireRole(actor, 'admin');
    await this.checkLocalPart(actor.tenantId, localPart);
    return this.ds.transaction(async (em) => {
      const box = await findMailbox(em, actor.tenantId, memberId, true);
      const domain = await primaryDomain(em, actor.tenantId);
      const holder = await holderOf(em, actor.tenantId, domain.id, localPart);
      if (holder?.mailbox_id === box.id) {
        throw new ConflictError(`${localPart}@${domain.name} is already an address of this mailbox`);
      }
      if (holder) throw takenError(localPart, domain.name);
      const [alias] = await em.query(
        `INSERT INTO addresses (tenant_id, domain_id, local_part, kind, mailbox_id) VALUES ($1, $2, $3, 'alias', $4)
         RETURNING id`,
        [actor.tenantId, domain.id, localPart, box.id],
      );
      await this.audit.record(em, {
        tenantId: actor.tenantId,
        actorType: 'member',
        actorId: actor.memberId,
        action: 'mailbox.alias_added',
        targetType: 'mailbox',
        targetId: box.id,
        details: { memberId, aliasId: alias.id, address: `${localPart}@${domain.name}` },
        ctx,
      });
      return load(em, actor.tenantId, box.id, memberId);
    });
  }

  /** Only aliases can go: the primary is replaced with setPrimary, never removed. */
  async removeAlias(actor: Actor, memberId: string, aliasId: string, ctx: RequestContext): Promise<void> {
    requireRole(actor, 'admin');
    await this.ds.transaction(async (em) => {
      const box = await findMailbox(em, actor.tenantId, memberId, true);
      const [gone] = await returning<{ local_part: string; domain: string }>(
        em,
        `DELETE FROM addresses a USING domains d
          WHERE a.tenant_id = $1 AND a.id = $2 AND a.mailbox_id = $3 AND a.kind = 'alias'
            AND d.tenant_id = a.tenant_id AND d.id = a.domain_id
         RETURNING a.local_part, d.name AS domain`,
        [actor.tenantId, aliasId, box.id],
      );
      if (!gone) throw new NotFoundError('Alias');
      await this.audit.record(em, {
        tenantId: actor.tenantId,
        actorType: 'member',
        actorId: actor.memberId,
        action: 'mailbox.alias_removed',
        targetType: 'mailbox',
        targetId: box.id,
        details: { memberId, aliasId, address: `${gone.local_part}@${gone.domain}` },
        ctx,
      });
    });
  }

  /**
   * Syntax, built-in and tenant-reserved names, all problems at once. The route already applied the
   * shared rules; this repeats them with the tenant's own list, which only the server knows.
   */
  private async checkLocalPart(tenantId: string, localPart: string): Promise<void> {
    const policy = await this.settings.get(tenantId, SYNC_POLICY_KEY, SyncPolicy);
    const problems = validateLocalPart(localPart, { extraReserved: policy.reservedLocalParts });
    if (problems.length === 0) return;
    // Same shape as the request validator's issues, so a form maps both onto the field alike.
    const issues = problems.map((p) => ({ path: 'body.localPart', message: p.message, problem: p.code }));
    throw new ValidationError(`Invalid body: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
      details: { issues },
    });
  }
}

function requireRole(actor: Actor, ...roles: Role[]): void {
  if (!hasRole(actor, ...roles)) throw new ForbiddenError();
}

function takenError(localPart: string, domain: string): ConflictError {
  return new ConflictError(`${localPart}@${domain} is already in use`);
}

/**
 * The member's live (not purged) mailbox. Another tenant's member, or one without a mailbox (a
 * local console account), is "not found": nothing about other tenants is revealed. `lock`
 * serializes changes to one mailbox's addresses.
 */
async function findMailbox(
  em: EntityManager,
  tenantId: string,
  memberId: string,
  lock: boolean,
): Promise<MailboxRow> {
  const member: { id: string }[] = await em.query(`SELECT id FROM members WHERE tenant_id = $1 AND id = $2`, [
    tenantId,
    memberId,
  ]);
  if (member.length === 0) throw new NotFoundError('Member');
  const [box]: MailboxRow[] = await em.query(
    `SELECT mb.id, mb.member_id, mb.domain_id, mb.local_part, d.name AS domain
       FROM mailboxes mb JOIN domains d ON d.tenant_id = mb.tenant_id AND d.id = mb.domain_id
      WHERE mb.tenant_id = $1 AND mb.member_id = $2 AND mb.status <> 'purged'
      ${lock ? 'FOR UPDATE OF mb' : ''}`,
    [tenantId, memberId],
  );
  if (!box) throw new NotFoundError('Mailbox');
  return box;
}

async function primaryDomain(em: EntityManager, tenantId: string): Promise<{ id: string; name: string }> {
  const [domain] = await em.query(`SELECT id, name FROM domains WHERE tenant_id = $1 AND is_primary`, [
    tenantId,
  ]);
  if (!domain) throw new NotFoundError('Primary mail domain');
  return domain;
}

async function holderOf(
  em: EntityManager,
  tenantId: string,
  domainId: string,
  localPart: string,
): Promise<AddressHolder | undefined> {
  const [row] = await em.query(
    `SELECT id, kind, mailbox_id FROM addresses WHERE tenant_id = $1 AND domain_id = $2 AND local_part = $3`,
    [tenantId, domainId, localPart],
  );
  return row;
}

async function load(
  em: EntityManager,
  tenantId: string,
  mailboxId: string,
  memberId: string,
): Promise<MailboxAddresses> {
  const [primary]: { address: string }[] = await em.query(
    `SELECT mb.local_part || '@' || d.name AS address
       FROM mailboxes mb JOIN domains d ON d.tenant_id = mb.tenant_id AND d.id = mb.domain_id
      WHERE mb.tenant_id = $1 AND mb.id = $2`,
    [tenantId, mailboxId],
  );
  const aliases: { id: string; address: string; created_at: Date }[] = await em.query(
    `SELECT a.id, a.local_part || '@' || d.name AS address, a.created_at
       FROM addresses a JOIN domains d ON d.tenant_id = a.tenant_id AND d.id = a.domain_id
      WHERE a.tenant_id = $1 AND a.mailbox_id = $2 AND a.kind = 'alias'
      ORDER BY a.created_at, a.local_part`,
    [tenantId, mailboxId],
  );
  return {
    mailboxId,
    memberId,
    primary: primary.address,
    aliases: aliases.map((a) => ({ id: a.id, address: a.address, createdAt: a.created_at })),
  };
}
