import MailComposer from 'nodemailer/lib/mail-composer';
import type { DataSource } from 'typeorm';
import { SYNC_POLICY_KEY, SyncPolicy } from '../../../shared/directory/sync-policy';
import type { Clock } from '../../platform/clock';
import type { Logger } from '../../platform/logger';
import type { SettingsService } from '../tenants';
import type { DeliveredMail } from './local-delivery.service';
import type { OutgoingMessage } from './outgoing-mail.service';
import { replyableSender } from './vacation/auto-reply.service';

/** Marks a forward made for a departed member, so a forward is never forwarded again. */
const FORWARD_HEADER = 'X-OrgMail-Departed-Forward';

interface Departed {
  mailbox_id: string;
  address: string;
  display_name: string | null;
  department_ids: string[];
  member_external_id: string | null;
  tenant_name: string;
}

interface Contact {
  name: string | null;
  address: string;
}

/**
 * Mail that reaches a member who has left (their mailbox is kept, suspended, until the retention
 * ends): per the organization's sync policy it is forwarded to their manager, and the sender is
 * told, once per 4 days, whom to contact instead. Both go out after the delivery has committed.
 */
export class DepartedMailService {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly d: {
      ds: DataSource;
      settings: SettingsService;
      clock: Clock;
      logger: Logger;
      hostname: string;
      submit: (msg: OutgoingMessage) => Promise<unknown>;
      /** Atomically: true if this sender was not answered from this mailbox in the last 4 days. */
      claimReply: (tenantId: string, mailboxId: string, sender: string, now: Date) => Promise<boolean>;
    },
  ) {}

  readonly onDelivered = async (mail: DeliveredMail): Promise<void> => {
    const departed = mail.copies.filter((c) => c.mailboxStatus === 'suspended');
    if (departed.length === 0) return;
    const work = this.handle(
      mail,
      departed.map((c) => c.mailboxId),
    )
      .catch((err: unknown) =>
        this.d.logger.error({ err, tenantId: mail.tenantId }, 'departed-mail handling failed'),
      )
      .finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  };

  /** Resolves when everything started so far is done (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async handle(mail: DeliveredMail, mailboxIds: string[]): Promise<void> {
    const policy = await this.d.settings.get(mail.tenantId, SYNC_POLICY_KEY, SyncPolicy);
    if (!policy.forwardToManagerOnLeave && !policy.autoReplyOnLeave) return;
    const people: Departed[] = await this.d.ds.query(
      `SELECT mb.id AS mailbox_id, mb.local_part || '@' || d.name AS address, m.display_name, m.department_ids,
              m.external_id AS member_external_id, t.name AS tenant_name
         FROM mailboxes mb
         JOIN domains d ON d.tenant_id = mb.tenant_id AND d.id = mb.domain_id
         JOIN tenants t ON t.id = mb.tenant_id
         LEFT JOIN members m ON m.tenant_id = mb.tenant_id AND m.id = mb.member_id
        WHERE mb.tenant_id = $1 AND mb.id = ANY($2) AND mb.status = 'suspended'`,
      [mail.tenantId, mailboxIds],
    );
    for (const person of people) {
      const manager = await this.manager(mail.tenantId, person);
      if (policy.forwardToManagerOnLeave && manager) await this.forward(mail, person, manager);
      if (policy.autoReplyOnLeave) {
        const contact = policy.leaveContactAddress
          ? { name: null, address: policy.leaveContactAddress }
          : manager;
        await this.reply(mail, person, contact);
      }
    }
  }

  /** The head of the member's department (or the nearest department above that has one), still here. */
  private async manager(tenantId: string, person: Departed): Promise<Contact | null> {
    if (person.department_ids.length === 0) return null;
    const rows: Contact[] = await this.d.ds.query(
      `SELECT m.display_name AS name, mb.local_part || '@' || dm.name AS address
         FROM departments dept
         CROSS JOIN LATERAL unnest(dept.path) WITH ORDINALITY AS up(external_id, depth)
         JOIN departments anc ON anc.tenant_id = dept.tenant_id AND anc.external_id = up.external_id
         CROSS JOIN LATERAL unnest(anc.manager_external_ids) AS boss(external_id)
         JOIN members m ON m.tenant_id = dept.tenant_id AND m.external_id = boss.external_id AND m.status = 'active'
         JOIN mailboxes mb ON mb.tenant_id = m.tenant_id AND mb.member_id = m.id AND mb.status = 'active'
         JOIN domains dm ON dm.tenant_id = mb.tenant_id AND dm.id = mb.domain_id
        WHERE dept.tenant_id = $1 AND dept.external_id = $2 AND boss.external_id IS DISTINCT FROM $3
        ORDER BY up.depth DESC, m.display_name
        LIMIT 1`,
      [tenantId, person.department_ids[0], person.member_external_id],
    );
    return rows[0] ?? null;
  }

  /** The message as received, resent to the manager (RFC 5322 Resent-* fields on top). */
  private async forward(mail: DeliveredMail, person: Departed, manager: Contact): Promise<void> {
    const [blob]: { content: Buffer }[] = await this.d.ds.query(
      `SELECT content FROM mail_blobs WHERE tenant_id = $1 AND sha256 = $2`,
      [mail.tenantId, mail.blobSha256],
    );
    if (!blob) return;
    // Already a forward for someone who left (their manager left too): not forwarded again.
    const headerEnd = blob.content.indexOf('\r\n\r\n');
    const head = blob.content.subarray(0, headerEnd < 0 ? blob.content.length : headerEnd).toString('latin1');
    if (new RegExp(`^${FORWARD_HEADER}:`, 'im').test(head)) return;
    const now = this.d.clock.now();
    const resent = [
      `Resent-From: ${person.address}`,
      `Resent-To: ${manager.address}`,
      `Resent-Date: ${now.toUTCString().replace('GMT', '+0000')}`,
      `Resent-Message-ID: <departed-${now.getTime().toString(36)}-${Math.random().toString(36).slice(2, 10)}@${this.d.hostname}>`,
      `${FORWARD_HEADER}: ${person.address}`,
    ];
    await this.d.submit({
      tenantId: mail.tenantId,
      mailboxId: null,
      envelopeFrom: '',
      recipients: [manager.address],
      raw: Buffer.concat([Buffer.from(resent.map((h) => `${h}\r\n`).join('')), blob.content]),
      kind: 'system',
    });
  }

  private async reply(mail: DeliveredMail, person: Departed, contact: Contact | null): Promise<void> {
    if (mail.parsed.isAutoSubmitted || mail.parsed.isBulkOrList) return;
    const sender = replyableSender(mail.envelopeFrom);
    if (!sender || sender === person.address.toLowerCase()) return;
    const now = this.d.clock.now();
    if (!(await this.d.claimReply(mail.tenantId, person.mailbox_id, sender, now))) return;
    const name = person.display_name ?? person.address;
    const who = contact ? `${contact.name ? `${contact.name} ` : ''}<${contact.address}>` : null;
    const text = [
      `${name} 已离开${person.tenant_name}，此邮箱不再有人查看。${who ? `请联系 ${who}。` : ''}`,
      '',
      `${name} has left ${person.tenant_name} and this mailbox is no longer read.${who ? ` Please contact ${who}.` : ''}`,
    ].join('\n');
    const original = mail.parsed;
    const originalId = original.messageIdGenerated ? undefined : `<${original.messageId}>`;
    const raw = await new MailComposer({
      from: { name, address: person.address },
      to: sender,
      subject: `自动回复: ${original.subject || ''}`.trim(),
      text,
      date: now,
      messageId: `<departed-${now.getTime().toString(36)}-${Math.random().toString(36).slice(2, 10)}@${this.d.hostname}>`,
      inReplyTo: originalId,
      references: originalId,
      headers: {
        'Auto-Submitted': 'auto-replied',
        'X-Auto-Response-Suppress': 'All',
        Precedence: 'auto_reply',
      },
    })
      .compile()
      .build();
    await this.d.submit({
      tenantId: mail.tenantId,
      mailboxId: null,
      envelopeFrom: '',
      recipients: [sender],
      raw,
      kind: 'system',
    });
  }
}
