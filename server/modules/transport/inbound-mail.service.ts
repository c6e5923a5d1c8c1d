import type { DataSource } from 'typeorm';
import type { Clock } from '../../platform/clock';
import type { Logger } from '../../platform/logger';
import { parseMessage, type ParsedMessage } from '../mail';
import { REFUSAL_TEXT, type DeliveryTarget, type RecipientResolver } from '../mailboxes';
import type { LocalDeliveryService } from './local-delivery.service';
import { withoutForgedResults, type MailAuthenticator, type SmtpSessionInfo } from './mail-authentication';
import { overQuotaNotice, type SkippedRecipient } from './over-quota-notice';
import type { OutgoingMessage } from './outgoing-mail.service';
import type { AntispamService } from './spam/antispam.service';
import { judgeMessage } from './spam/spam-verdict';

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
  /** Group members left out at RCPT because their mailbox is full. */
  overQuota?: number;
  group?: boolean;
}

export interface InboundDeps {
  ds: DataSource;
  recipients: RecipientResolver;
  delivery: LocalDeliveryService;
  logger: Logger;
  clock?: Clock;
  /** SPF/DKIM/DMARC/ARC; without it (older callers) mail is stored unchecked. */
  authenticator?: MailAuthenticator;
  antispam?: AntispamService;
  /** For the notice telling a sender which recipients were skipped (full mailboxes). */
  submit?: (msg: OutgoingMessage) => Promise<unknown>;
  hostname?: string;
}

/**
 * Decides what the MX accepts (the SMTP wiring only translates): recipients we host, within
 * quota, never relaying for domains we do not host, no blocked senders; then authenticates the
 * message, judges it (spam → Junk, DMARC reject / blocklist → 550), stores it and answers only
 * after the commit.
 */
export class InboundMailService {
  private readonly notices = new Set<Promise<void>>();

  constructor(private readonly d: InboundDeps) {}

  /** RCPT TO: the recipient, or a refusal with its SMTP code. `size` is the MAIL FROM SIZE= hint. */
  async checkRecipient(address: string, mailFrom: string | null, size: number): Promise<AcceptedRecipient> {
    const r = await this.d.recipients.resolve(address, size);
    if (r.kind === 'unknown_domain')
      throw new SmtpRefusal(550, '5.7.1 Relaying denied: we do not accept mail for that domain');
    if (r.kind === 'unknown_address') throw new SmtpRefusal(550, '5.1.1 No such user here');
    if (mailFrom && this.d.antispam) {
      const policy = await this.d.antispam.policy(r.tenantId);
      if (policy.settings.blockAction === 'refuse' && policy.block.matches(mailFrom))
        throw new SmtpRefusal(550, '5.7.1 Sender blocked by the recipient organization');
    }
    switch (r.kind) {
      case 'mailbox':
      case 'alias':
        // A departed member's (suspended) mailbox keeps receiving during retention: the leave
        // policy (shared/directory/sync-policy.ts) has no "refuse" choice, so it is accepted here.
        if (r.overQuota) throw new SmtpRefusal(452, '4.2.2 Mailbox full, try again later');
        return { tenantId: r.tenantId, address: r.address, targets: [r.target] };
      case 'group': {
        // The group's send policy (anyone / internal / members / listed) decides, by the envelope sender.
        const refusal = await this.d.recipients.groupRefusal(r, { address: mailFrom });
        if (refusal) throw new SmtpRefusal(550, `5.7.1 ${REFUSAL_TEXT[refusal]}`);
        // Over-quota members of a group are skipped rather than failing mail to everyone else.
        const fitting = r.targets.filter((t) => t.usedBytes + size <= t.quotaBytes);
        return {
          tenantId: r.tenantId,
          address: r.address,
          targets: fitting,
          overQuota: r.targets.length - fitting.length,
          group: true,
        };
      }
    }
  }

  /** DATA: stores for every accepted recipient (grouped by organization); resolves after commit. */
  async accept(
    received: Buffer,
    recipients: AcceptedRecipient[],
    session?: SmtpSessionInfo,
  ): Promise<{ messageIds: string[] }> {
    const raw = session ? withoutForgedResults(received, this.d.hostname ?? '') : received;
    const byTenant = new Map<string, DeliveryTarget[]>();
    for (const r of recipients) byTenant.set(r.tenantId, [...(byTenant.get(r.tenantId) ?? []), ...r.targets]);
    // The real size is known only now (clients need not announce SIZE): mailboxes without room
    // for it are left out, and if that is every mailbox the sender is told to try later.
    let room = 0;
    const fittingIds = new Set<string>();
    for (const [tenantId, targets] of byTenant) {
      const fitting = await this.withRoomFor(tenantId, targets, raw.length);
      byTenant.set(tenantId, fitting);
      for (const t of fitting) fittingIds.add(t.mailboxId);
      room += fitting.length;
    }
    if (room === 0 && recipients.some((r) => r.targets.length > 0)) {
      throw new SmtpRefusal(452, '4.2.2 Mailbox full, try again later');
    }

    const now = this.d.clock?.now() ?? new Date();
    const parsed = await parseMessage(raw, { now });
    const auth =
      session && this.d.authenticator
        ? await this.d.authenticator.check(raw, session, parsed.from[0]?.address ?? null)
        : null;
    const envelopeFrom = session ? (session.mailFrom ?? '') : null;

    // Each organization judges by its own policy; the message is refused only if all refuse it
    // (DATA has one answer for every recipient; the rest then keep it in Junk).
    const plans: {
      tenantId: string;
      targets: DeliveryTarget[];
      judgement: ReturnType<typeof judgeMessage> | null;
    }[] = [];
    for (const [tenantId, targets] of byTenant) {
      if (targets.length === 0) continue;
      const judgement = this.d.antispam
        ? judgeMessage(await this.d.antispam.policy(tenantId), {
            parsed,
            raw,
            envelopeFrom,
            envelopeRecipients: recipients.filter((r) => r.tenantId === tenantId).map((r) => r.address),
            auth,
          })
        : null;
      plans.push({ tenantId, targets, judgement });
    }
    const refusals = plans.map((p) => p.judgement?.refuse).filter((r): r is string => !!r);
    if (plans.length > 0 && refusals.length === plans.length) {
      this.d.logger.info(
        { reasons: plans.map((p) => p.judgement?.verdict.reasons) },
        'message refused at DATA',
      );
      throw new SmtpRefusal(550, refusals[0]!);
    }

    const authHeaders = auth?.headers ?? [];
    const messageIds: string[] = [];
    for (const plan of plans) {
      const verdict = plan.judgement
        ? plan.judgement.refuse
          ? { ...plan.judgement.verdict, spam: true }
          : plan.judgement.verdict
        : undefined;
      const delivered = await this.d.delivery.deliver({
        tenantId: plan.tenantId,
        raw,
        targets: plan.targets,
        parsed: withOwnAuthResults(parsed, authHeaders),
        prependHeaders: [...authHeaders, ...(plan.judgement?.headers ?? [])],
        source: 'smtp',
        envelopeFrom,
        verdict,
      });
      messageIds.push(...delivered.messageIds);
      this.d.logger.debug(
        {
          tenantId: plan.tenantId,
          messages: delivered.messageIds.length,
          size: raw.length,
          spam: verdict?.spam,
        },
        'mail delivered',
      );
    }

    const skipped = skippedRecipients(recipients, fittingIds);
    if (skipped.length > 0 && envelopeFrom && this.d.submit)
      this.noticeSkipped(parsed, envelopeFrom, skipped, recipients);
    return { messageIds };
  }

  /** Resolves when pending over-quota notices have been submitted (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.notices.size > 0) await Promise.all([...this.notices]);
  }

  private noticeSkipped(
    parsed: ParsedMessage,
    envelopeFrom: string,
    skipped: SkippedRecipient[],
    recipients: AcceptedRecipient[],
  ): void {
    const tenantId =
      recipients.find((r) => r.address === skipped[0]!.address)?.tenantId ?? recipients[0]!.tenantId;
    const work = overQuotaNotice({
      hostname: this.d.hostname ?? 'localhost',
      to: envelopeFrom,
      original: parsed,
      skipped,
      now: this.d.clock?.now() ?? new Date(),
    })
      .then((raw) =>
        this.d.submit!({
          tenantId,
          mailboxId: null,
          envelopeFrom: '',
          recipients: [envelopeFrom],
          raw,
          kind: 'system',
        }),
      )
      .then(() => undefined)
      .catch((err: unknown) =>
        this.d.logger.warn({ err, tenantId }, 'over-quota notice to the sender failed'),
      )
      .finally(() => this.notices.delete(work));
    this.notices.add(work);
  }

  private async withRoomFor(
    tenantId: string,
    targets: DeliveryTarget[],
    size: number,
  ): Promise<DeliveryTarget[]> {
    if (targets.length === 0) return targets;
    // Usually every target fits: the RCPT-time numbers avoid a query unless one is close to full.
    if (targets.every((t) => t.usedBytes + size * 4 <= t.quotaBytes)) return targets;
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
}

/** Recipients (or group members) whose copy was not stored because their mailbox is full. */
function skippedRecipients(recipients: AcceptedRecipient[], fitting: Set<string>): SkippedRecipient[] {
  const out: SkippedRecipient[] = [];
  for (const r of recipients) {
    const lost = (r.overQuota ?? 0) + r.targets.filter((t) => !fitting.has(t.mailboxId)).length;
    if (lost > 0) out.push({ address: r.address, group: r.group ?? false, mailboxes: lost });
  }
  return out;
}

/** The parsed view of the stored copy, which carries our Authentication-Results on top. */
function withOwnAuthResults(parsed: ParsedMessage, headers: string[]): ParsedMessage {
  const ours = headers
    .filter((h) => /^authentication-results:/i.test(h))
    .map((h) => h.replace(/^authentication-results:\s*/i, '').replace(/\r\n[ \t]+/g, ' '));
  if (ours.length === 0) return parsed;
  const existing = parsed.headers['authentication-results'] ?? [];
  return { ...parsed, headers: { ...parsed.headers, 'authentication-results': [...ours, ...existing] } };
}
