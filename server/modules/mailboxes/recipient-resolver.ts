import { domainToASCII } from 'node:url';
import type { DataSource, EntityManager } from 'typeorm';
import { refusalFor, type SendRefusal } from './group-send-permission';
import type { GroupsService } from './groups.service';

/** One mailbox mail to an address ends up in. */
export interface DeliveryTarget {
  mailboxId: string;
  memberId: string | null;
  /** Suspended (departed) mailboxes still accept mail during retention. */
  status: 'active' | 'suspended';
  quotaBytes: number;
  usedBytes: number;
}

/** Who sends: one of our mailboxes, or an address (mail arriving over SMTP from elsewhere). */
export type SenderRef = { tenantId: string; mailboxId: string | null } | { address: string | null };

export type GroupResolution = Extract<Resolution, { kind: 'group' }>;

export type Resolution =
  | { kind: 'unknown_domain' }
  | { kind: 'unknown_address'; tenantId: string }
  | {
      kind: 'mailbox' | 'alias';
      tenantId: string;
      address: string;
      target: DeliveryTarget;
      /** The target cannot take a message of `size` bytes now. */
      overQuota: boolean;
    }
  | {
      kind: 'group';
      tenantId: string;
      address: string;
      groupId: string;
      sendPolicy: 'anyone' | 'internal' | 'members' | 'listed';
      targets: DeliveryTarget[];
    };

interface AddressRow {
  tenant_id: string;
  kind: 'mailbox' | 'alias' | 'group' | null;
  mailbox_id: string | null;
  group_id: string | null;
  member_id: string | null;
  status: 'active' | 'suspended' | 'purged' | null;
  quota_bytes: string | null;
  used_bytes: string | null;
  send_policy: 'anyone' | 'internal' | 'members' | 'listed' | null;
}

/**
 * Turns an envelope address into the mailboxes it reaches: the first step of inbound SMTP
 * (unknown → 550 5.1.1, over quota → 452 4.2.2) and of local delivery. Plus-addressing
 * (`zhangsan+tag@`) reaches `zhangsan@`; matching is case-insensitive.
 */
export class RecipientResolver {
  constructor(
    private readonly ds: DataSource,
    private readonly groups: GroupsService,
  ) {}

  async resolve(address: string, size = 0, em: EntityManager = this.ds.manager): Promise<Resolution> {
    const normalized = address.trim().toLowerCase();
    const at = normalized.lastIndexOf('@');
    if (at <= 0 || at === normalized.length - 1) return { kind: 'unknown_domain' };
    // 中文 domains are stored in their ASCII (punycode) form.
    const domain = domainToASCII(normalized.slice(at + 1).replace(/\.$/, '')) || normalized.slice(at + 1);
    const localPart = normalized.slice(0, at).split('+')[0]!;
    const rows: AddressRow[] = await em.query(
      `SELECT d.tenant_id, a.kind, a.mailbox_id, a.group_id, mb.member_id, mb.status, mb.quota_bytes, mb.used_bytes,
              g.send_policy
         FROM domains d
         LEFT JOIN addresses a ON a.tenant_id = d.tenant_id AND a.domain_id = d.id AND a.local_part = $2
         LEFT JOIN mailboxes mb ON mb.tenant_id = a.tenant_id AND mb.id = a.mailbox_id
         LEFT JOIN mail_groups g ON g.tenant_id = a.tenant_id AND g.id = a.group_id
        WHERE d.name = $1 AND d.verified_at IS NOT NULL`,
      [domain, localPart],
    );
    const row = rows[0];
    if (!row) return { kind: 'unknown_domain' };
    const tenantId = row.tenant_id;
    if (!row.kind) return { kind: 'unknown_address', tenantId };
    const full = `${localPart}@${domain}`;
    if (row.kind === 'group') {
      const members: { id: string }[] = await this.groups.expand(em, tenantId, row.group_id!);
      return {
        kind: 'group',
        tenantId,
        address: full,
        groupId: row.group_id!,
        sendPolicy: row.send_policy ?? 'internal',
        targets: await this.targetsOfMembers(
          em,
          tenantId,
          members.map((m) => m.id),
        ),
      };
    }
    // A purged mailbox's address rows are gone; a mailbox row without a live status is unknown.
    if (!row.mailbox_id || row.status === 'purged' || row.status === null)
      return { kind: 'unknown_address', tenantId };
    const target: DeliveryTarget = {
      mailboxId: row.mailbox_id,
      memberId: row.member_id,
      status: row.status,
      quotaBytes: Number(row.quota_bytes),
      usedBytes: Number(row.used_bytes),
    };
    return {
      kind: row.kind,
      tenantId,
      address: full,
      target,
      overQuota: target.usedBytes + size > target.quotaBytes,
    };
  }

  /**
   * Whether `sender` may send to a resolved group, by the group's send policy: null when allowed,
   * else why not. An address counts as internal when its domain is one of the group organization's
   * domains, and as a member when it is one of that organization's mailbox addresses or aliases.
   */
  async groupRefusal(
    group: GroupResolution,
    sender: SenderRef,
    em: EntityManager = this.ds.manager,
  ): Promise<SendRefusal | null> {
    if (group.sendPolicy === 'anyone') return null;
    if ('mailboxId' in sender) {
      const [box]: { member_id: string | null }[] = sender.mailboxId
        ? await em.query(`SELECT member_id FROM mailboxes WHERE tenant_id = $1 AND id = $2`, [
            sender.tenantId,
            sender.mailboxId,
          ])
        : [];
      return refusalFor(em, group, { tenantId: sender.tenantId, memberId: box?.member_id ?? null });
    }
    const normalized = (sender.address ?? '').trim().toLowerCase();
    const at = normalized.lastIndexOf('@');
    if (at <= 0) return refusalFor(em, group, { tenantId: null, memberId: null });
    const domain = domainToASCII(normalized.slice(at + 1).replace(/\.$/, '')) || normalized.slice(at + 1);
    const rows: { member_id: string | null }[] = await em.query(
      `SELECT mb.member_id
         FROM domains d
         LEFT JOIN addresses a ON a.tenant_id = d.tenant_id AND a.domain_id = d.id AND a.local_part = $3
                              AND a.kind IN ('mailbox', 'alias')
         LEFT JOIN mailboxes mb ON mb.tenant_id = a.tenant_id AND mb.id = a.mailbox_id
        WHERE d.tenant_id = $1 AND d.name = $2`,
      [group.tenantId, domain, normalized.slice(0, at).split('+')[0]],
    );
    return refusalFor(em, group, {
      tenantId: rows.length > 0 ? group.tenantId : null,
      memberId: rows[0]?.member_id ?? null,
    });
  }

  private async targetsOfMembers(
    em: EntityManager,
    tenantId: string,
    memberIds: string[],
  ): Promise<DeliveryTarget[]> {
    if (memberIds.length === 0) return [];
    const rows: {
      id: string;
      member_id: string;
      status: 'active' | 'suspended';
      quota_bytes: string;
      used_bytes: string;
    }[] = await em.query(
      `SELECT id, member_id, status, quota_bytes, used_bytes FROM mailboxes
          WHERE tenant_id = $1 AND member_id = ANY($2) AND status IN ('active', 'suspended')`,
      [tenantId, memberIds],
    );
    return rows.map((r) => ({
      mailboxId: r.id,
      memberId: r.member_id,
      status: r.status,
      quotaBytes: Number(r.quota_bytes),
      usedBytes: Number(r.used_bytes),
    }));
  }
}
