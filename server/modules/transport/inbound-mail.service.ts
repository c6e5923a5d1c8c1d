import type { DataSource } from 'typeorm';
import type { Logger } from '../../platform/logger';
import type { DeliveryTarget, RecipientResolver } from '../mailboxes';
import type { LocalDeliveryService } from './local-delivery.service';

/** An SMTP answer for a refused command: `code` is the reply code, `message` starts with the enhanced status. */
export class SmtpRefusal extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'SmtpRefusal';
  }
}

export interface AcceptedRecipient {
  tenantId: string;
  address: string;
  targets: DeliveryTarget[];
}

/**
 * Decides what the MX accepts (the SMTP wiring only translates): recipients we host, within
 * quota, never relaying for domains we do not host; then stores the message and answers only
 * after the commit.
 */
export class InboundMailService {
  constructor(
    private readonly d: {
      ds: DataSource;
      recipients: RecipientResolver;
      delivery: LocalDeliveryService;
      logger: Logger;
    },
  ) {}

  /** RCPT TO: the recipient, or a refusal with its SMTP code. `size` is the MAIL FROM SIZE= hint. */
  async checkRecipient(address: string, mailFrom: string | null, size: number): Promise<AcceptedRecipient> {
    const r = await this.d.recipients.resolve(address, size);
    switch (r.kind) {
      case 'unknown_domain':
        throw new SmtpRefusal(550, '5.7.1 Relaying denied: we do not accept mail for that domain');
      case 'unknown_address':
        throw new SmtpRefusal(550, '5.1.1 No such user here');
      case 'mailbox':
      case 'alias':
        if (r.overQuota) throw new SmtpRefusal(452, '4.2.2 Mailbox full, try again later');
        return { tenantId: r.tenantId, address: r.address, targets: [r.target] };
      case 'group':
        if (r.sendPolicy !== 'anyone' && !(await this.isOwnDomain(r.tenantId, mailFrom))) {
          throw new SmtpRefusal(550, '5.7.1 This group accepts mail from inside the organization only');
        }
        // Over-quota members of a group are skipped rather than failing mail to everyone else.
        return {
          tenantId: r.tenantId,
          address: r.address,
          targets: r.targets.filter((t) => t.usedBytes + size <= t.quotaBytes),
        };
    }
  }

  /** DATA: stores for every accepted recipient (grouped by organization); resolves after commit. */
  async accept(raw: Buffer, recipients: AcceptedRecipient[]): Promise<{ messageIds: string[] }> {
    const byTenant = new Map<string, DeliveryTarget[]>();
    for (const r of recipients) byTenant.set(r.tenantId, [...(byTenant.get(r.tenantId) ?? []), ...r.targets]);
    // The real size is known only now (clients need not announce SIZE): mailboxes without room
    // for it are left out, and if that is every mailbox the sender is told to try later.
    let room = 0;
    for (const [tenantId, targets] of byTenant) {
      const fitting = await this.withRoomFor(tenantId, targets, raw.length);
      byTenant.set(tenantId, fitting);
      room += fitting.length;
    }
    if (room === 0 && recipients.some((r) => r.targets.length > 0)) {
      throw new SmtpRefusal(452, '4.2.2 Mailbox full, try again later');
    }
    const messageIds: string[] = [];
    for (const [tenantId, targets] of byTenant) {
      const delivered = await this.d.delivery.deliver({ tenantId, raw, targets });
      messageIds.push(...delivered.messageIds);
      this.d.logger.info(
        { tenantId, messages: delivered.messageIds.length, size: raw.length },
        'mail delivered',
      );
    }
    return { messageIds };
  }

  private async withRoomFor(
    tenantId: string,
    targets: DeliveryTarget[],
    size: number,
  ): Promise<DeliveryTarget[]> {
    if (targets.length === 0) return targets;
    const rows: { id: string }[] = await this.d.ds.query(
      `SELECT id FROM mailboxes WHERE tenant_id = $1 AND id = ANY($2) AND used_bytes + $3 <= quota_bytes`,
      [tenantId, targets.map((t) => t.mailboxId), size],
    );
    const ok = new Set(rows.map((r) => r.id));
    const skipped = targets.filter((t) => !ok.has(t.mailboxId));
    if (skipped.length > 0)
      this.d.logger.warn({ tenantId, skipped: skipped.length }, 'mailboxes over quota skipped');
    return targets.filter((t) => ok.has(t.mailboxId));
  }

  private async isOwnDomain(tenantId: string, mailFrom: string | null): Promise<boolean> {
    const domain = mailFrom?.split('@')[1]?.toLowerCase();
    if (!domain) return false;
    const rows = await this.d.ds.query(`SELECT 1 FROM domains WHERE tenant_id = $1 AND name = $2`, [
      tenantId,
      domain,
    ]);
    return rows.length > 0;
  }
}
