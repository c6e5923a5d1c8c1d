import type { DataSource, EntityManager } from 'typeorm';
import { validateLocalPart } from '../../../shared/directory/address-template';
import { SYNC_POLICY_KEY, SyncPolicy } from '../../../shared/directory/sync-policy';
import type { CreateGroupBody, GroupDetailDto, UpdateGroupBody } from '../../../shared/mailboxes/group-admin';
import { returning } from '../../platform/db/returning';
import { ConflictError, NotFoundError, ValidationError } from '../../platform/errors';
import type { Actor, RequestContext } from '../../platform/http/actor';
import type { AuditService } from '../admin';
import type { SettingsService } from '../tenants';
import { replaceEntries } from './group-sql';
import { requireRole, type GroupsService } from './groups.service';

interface LockedGroup {
  id: string;
  kind: 'department' | 'custom';
  name: string;
  send_policy: string;
  include_subdepartments: boolean;
}

/**
 * An admin's changes to groups: who may send (with the listed people and departments), custom
 * groups and their entries, and group aliases. Addresses come from the one `addresses` namespace
 * (per domain), so a group address or alias can never be a mailbox's address or another group's;
 * a race ends at its unique index (23505 → 409). Every change is audited in its transaction.
 */
export class GroupAdminService {
  constructor(
    private readonly ds: DataSource,
    private readonly groups: GroupsService,
    private readonly settings: SettingsService,
    private readonly audit: AuditService,
  ) {}

  async update(
    actor: Actor,
    groupId: string,
    body: UpdateGroupBody,
    ctx: RequestContext,
  ): Promise<GroupDetailDto> {
    requireRole(actor, 'admin');
    return this.ds.transaction(async (em) => {
      const g = await lockGroup(em, actor.tenantId, groupId);
      if (g.kind === 'department' && (body.name !== undefined || body.entries !== undefined)) {
        throw invalid('body.name', 'A department group takes its name and members from the directory');
      }
      if (g.kind === 'custom' && body.includeSubdepartments !== undefined) {
        throw invalid(
          'body.includeSubdepartments',
          'Set sub-departments on each department of a custom group',
        );
      }
      const policy = body.sendPolicy ?? g.send_policy;
      if (body.senders) {
        await replaceEntries(em, 'mail_group_senders', actor.tenantId, groupId, body.senders, 'senders');
      }
      if (policy === 'listed') {
        const [{ n }] = await em.query(
          `SELECT count(*)::int AS n FROM mail_group_senders WHERE tenant_id = $1 AND group_id = $2`,
          [actor.tenantId, groupId],
        );
        if (n === 0) throw invalid('body.senders', 'List at least one person or department');
      }
      if (body.entries) {
        if (body.entries.length === 0) throw invalid('body.entries', 'Add at least one person or department');
        await replaceEntries(em, 'mail_group_members', actor.tenantId, groupId, body.entries, 'entries');
      }
      await em.query(
        `UPDATE mail_groups SET name = $3, send_policy = $4, include_subdepartments = $5, updated_at = now()
          WHERE tenant_id = $1 AND id = $2`,
        [
          actor.tenantId,
          groupId,
          body.name ?? g.name,
          policy,
          body.includeSubdepartments ?? g.include_subdepartments,
        ],
      );
      await this.record(em, actor, 'group.updated', groupId, ctx, {
        before: { name: g.name, sendPolicy: g.send_policy, includeSubdepartments: g.include_subdepartments },
        changed: body,
      });
      return this.groups.detail(actor, groupId, em);
    });
  }

  async create(actor: Actor, body: CreateGroupBody, ctx: RequestContext): Promise<GroupDetailDto> {
    requireRole(actor, 'admin');
    await this.checkLocalPart(actor.tenantId, body.localPart);
    return this.ds.transaction(async (em) => {
      const domain = await primaryDomain(em, actor.tenantId);
      await ensureFree(em, actor.tenantId, domain, body.localPart);
      const [{ id }] = await em.query(
        `INSERT INTO mail_groups (tenant_id, kind, name, include_subdepartments, send_policy)
         VALUES ($1, 'custom', $2, false, $3) RETURNING id`,
        [actor.tenantId, body.name, body.sendPolicy],
      );
      await em.query(
        `INSERT INTO addresses (tenant_id, domain_id, local_part, kind, group_id) VALUES ($1, $2, $3, 'group', $4)`,
        [actor.tenantId, domain.id, body.localPart, id],
      );
      await replaceEntries(em, 'mail_group_members', actor.tenantId, id, body.entries, 'entries');
      await replaceEntries(em, 'mail_group_senders', actor.tenantId, id, body.senders, 'senders');
      await this.record(em, actor, 'group.created', id, ctx, {
        name: body.name,
        address: `${body.localPart}@${domain.name}`,
        sendPolicy: body.sendPolicy,
        entries: body.entries,
        senders: body.senders,
      });
      return this.groups.detail(actor, id, em);
    });
  }

  /** Custom groups only: a department group lives as long as its department does. */
  async remove(actor: Actor, groupId: string, ctx: RequestContext): Promise<void> {
    requireRole(actor, 'admin');
    await this.ds.transaction(async (em) => {
      const g = await lockGroup(em, actor.tenantId, groupId);
      if (g.kind === 'department') {
        throw new ConflictError('A department group is removed with its department, by the directory sync');
      }
      const addresses: { address: string }[] = await em.query(
        `SELECT a.local_part || '@' || dm.name AS address FROM addresses a
           JOIN domains dm ON dm.tenant_id = a.tenant_id AND dm.id = a.domain_id
          WHERE a.tenant_id = $1 AND a.group_id = $2 ORDER BY a.created_at, a.id`,
        [actor.tenantId, groupId],
      );
      // Its addresses, entries and senders go with it (cascade).
      await em.query(`DELETE FROM mail_groups WHERE tenant_id = $1 AND id = $2`, [actor.tenantId, groupId]);
      await this.record(em, actor, 'group.deleted', groupId, ctx, {
        name: g.name,
        addresses: addresses.map((a) => a.address),
      });
    });
  }

  async addAlias(
    actor: Actor,
    groupId: string,
    localPart: string,
    ctx: RequestContext,
  ): Promise<GroupDetailDto> {
    requireRole(actor, 'admin');
    return this.ds.transaction(async (em) => {
      await lockGroup(em, actor.tenantId, groupId);
      await this.checkLocalPart(actor.tenantId, localPart);
      const domain = await primaryDomain(em, actor.tenantId);
      await ensureFree(em, actor.tenantId, domain, localPart);
      const [alias] = await em.query(
        `INSERT INTO addresses (tenant_id, domain_id, local_part, kind, group_id)
         VALUES ($1, $2, $3, 'group', $4) RETURNING id`,
        [actor.tenantId, domain.id, localPart, groupId],
      );
      await this.record(em, actor, 'group.alias_added', groupId, ctx, {
        aliasId: alias.id,
        address: `${localPart}@${domain.name}`,
      });
      return this.groups.detail(actor, groupId, em);
    });
  }

  /** An alias goes; the group's own (first) address never does. */
  async removeAlias(actor: Actor, groupId: string, aliasId: string, ctx: RequestContext): Promise<void> {
    requireRole(actor, 'admin');
    await this.ds.transaction(async (em) => {
      await lockGroup(em, actor.tenantId, groupId);
      const [gone] = await returning<{ address: string }>(
        em,
        `DELETE FROM addresses a USING domains dm
          WHERE a.tenant_id = $1 AND a.group_id = $2 AND a.id = $3
            AND dm.tenant_id = a.tenant_id AND dm.id = a.domain_id
            AND a.id <> (SELECT f.id FROM addresses f WHERE f.tenant_id = $1 AND f.group_id = $2
                          ORDER BY f.created_at, f.id LIMIT 1)
         RETURNING a.local_part || '@' || dm.name AS address`,
        [actor.tenantId, groupId, aliasId],
      );
      if (!gone) throw new NotFoundError('Alias');
      await this.record(em, actor, 'group.alias_removed', groupId, ctx, { aliasId, address: gone.address });
    });
  }

  /** The shared syntax rules were applied by the route; this adds the tenant's reserved names. */
  private async checkLocalPart(tenantId: string, localPart: string): Promise<void> {
    const policy = await this.settings.get(tenantId, SYNC_POLICY_KEY, SyncPolicy);
    const [problem] = validateLocalPart(localPart, { extraReserved: policy.reservedLocalParts });
    if (problem) throw invalid('body.localPart', problem.message, problem.code);
  }

  private record(
    em: EntityManager,
    actor: Actor,
    action: string,
    groupId: string,
    ctx: RequestContext,
    details: Record<string, unknown>,
  ): Promise<void> {
    return this.audit.record(em, {
      tenantId: actor.tenantId,
      actorType: 'member',
      actorId: actor.memberId,
      action,
      targetType: 'group',
      targetId: groupId,
      details,
      ctx,
    });
  }
}

/** Same shape as the request validator's issues, so a form maps both onto the field alike. */
function invalid(path: string, message: string, problem?: string): ValidationError {
  return new ValidationError(`Invalid body: ${path}: ${message}`, {
    details: { issues: [{ path, message, ...(problem ? { problem } : {}) }] },
  });
}

async function lockGroup(em: EntityManager, tenantId: string, groupId: string): Promise<LockedGroup> {
  const [g]: LockedGroup[] = await em.query(
    `SELECT id, kind, name, send_policy, include_subdepartments FROM mail_groups
      WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
    [tenantId, groupId],
  );
  if (!g) throw new NotFoundError('Group');
  return g;
}

async function primaryDomain(em: EntityManager, tenantId: string): Promise<{ id: string; name: string }> {
  const [domain] = await em.query(`SELECT id, name FROM domains WHERE tenant_id = $1 AND is_primary`, [
    tenantId,
  ]);
  if (!domain) throw new NotFoundError('Primary mail domain');
  return domain;
}

async function ensureFree(
  em: EntityManager,
  tenantId: string,
  domain: { id: string; name: string },
  localPart: string,
): Promise<void> {
  const taken = await em.query(
    `SELECT 1 FROM addresses WHERE tenant_id = $1 AND domain_id = $2 AND local_part = $3`,
    [tenantId, domain.id, localPart],
  );
  if (taken.length > 0) throw new ConflictError(`${localPart}@${domain.name} is already in use`);
}
