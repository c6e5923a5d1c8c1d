import type { DataSource, EntityManager } from 'typeorm';
import type { ApprovalReason } from '../../../shared/approval/mail-approval';
import { ErrorCodes } from '../../../shared/errors';
import type { SendPolicy } from '../../../shared/mail/send-policy';
import type { Clock } from '../../platform/clock';
import { AppError, NotFoundError } from '../../platform/errors';
import type { Logger } from '../../platform/logger';
import {
  insertMessages,
  parseMessage,
  putBlob,
  systemFolderIds,
  threadIds,
  type ParsedMessage,
} from '../mail';
import { REFUSAL_TEXT, type DeliveryTarget, type RecipientResolver } from '../mailboxes';
import type { LocalDeliveryService } from './local-delivery.service';
import type { OutboundQueue } from './outbound-queue';
import type { SendPolicyService } from './send-policy.service';

export interface OutgoingMessage {
  tenantId: string;
  /** The sending mailbox; null for system mail (DSN bounces). */
  mailboxId: string | null;
  /** Envelope sender (MAIL FROM); '' is the null sender (DSNs and auto-replies, RFC 3834). */
  envelopeFrom: string;
  /** Envelope recipients (To + Cc + Bcc), plain addresses. */
  recipients: string[];
  /** Complete RFC 5322 bytes (Message-ID and Date already set by whoever composed it). */
  raw: Buffer;
  /** 'user' = a person's send (all policies, Sent copy by default); 'auto' = auto-reply / rule
   *  forward / vacation (external-sending policy and daily limit apply, no Sent copy by default);
   *  'system' = DSN and notices (no policy). */
  kind: 'user' | 'auto' | 'system';
  /** Default: true for 'user', false otherwise. */
  saveSentCopy?: boolean;
  /** An existing message row of this mailbox (a draft or a Scheduled message being sent) that
   *  becomes the Sent copy: moved to Sent, marked seen, instead of inserting a new row. */
  existingMessageId?: string;
  /** Released by an approver (邮件审核): never held again; the daily limit was counted when it was held. */
  approved?: boolean;
}

/** Holds a person's outbound mail for approval (server/modules/approval); set at wiring time. */
export interface ApprovalGate {
  /** Why this message must wait for an approver; empty = send now. */
  reasons(
    em: EntityManager,
    input: {
      tenantId: string;
      memberId: string | null;
      raw: Buffer;
      parsed: ParsedMessage;
      recipients: string[];
      external: string[];
    },
  ): Promise<ApprovalReason[]>;
  /** Records the held message (its Sent copy already stored); nothing is delivered or queued. */
  hold(
    em: EntityManager,
    input: {
      msg: OutgoingMessage;
      memberId: string | null;
      parsed: ParsedMessage;
      reasons: ApprovalReason[];
      sentMessageId: string | null;
      now: Date;
    },
  ): Promise<{ approvalId: string; afterCommit(): Promise<void> }>;
}

export interface SubmitResult {
  /** The Sent copy's messages.id. */
  sentMessageId: string | null;
  /** Copies delivered to our own mailboxes. */
  localMessageIds: string[];
  /** Outbound queue rows created (one per remote domain). */
  queued: number;
  /** The message is held for approval (mail_approvals.id): nothing was delivered or queued yet. */
  heldForApproval?: string;
}

/** Where each recipient goes. */
interface Plan {
  local: Map<string, DeliveryTarget[]>;
  remote: Map<string, string[]>;
  /** Recipients that resolved to the sender's own organization (its mailboxes, aliases, groups). */
  internal: string[];
  unknown: string[];
  refused: { address: string; reason: string }[];
}

interface Sender {
  memberId: string | null;
  policy: SendPolicy;
}

export interface OutgoingMailDeps {
  ds: DataSource;
  clock: Clock;
  recipients: RecipientResolver;
  delivery: LocalDeliveryService;
  policy: SendPolicyService;
  queue: OutboundQueue;
  logger: Logger;
}

const ADDRESS = /^[^\s@<>()",;:\\[\]]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/;

/**
 * Sends mail from our mailboxes: policy, Sent copy, local delivery to every mailbox hosted here
 * (any organization), and one outbound queue row per remote domain — all in one transaction.
 */
export class OutgoingMailService {
  private readonly queuedListeners: (() => void)[] = [];
  private approvals: ApprovalGate | null = null;

  constructor(private readonly d: OutgoingMailDeps) {}

  /** Told after a commit that queued remote mail (the worker sends at once instead of at its next poll). */
  onQueued(listener: () => void): void {
    this.queuedListeners.push(listener);
  }

  /** Mail approval (邮件审核) holds matching 'user' mail; wired after construction (it submits through us). */
  setApprovalGate(gate: ApprovalGate): void {
    this.approvals = gate;
  }

  /** Throws a 4xx AppError (code in shared/errors.ts) when the message may not be sent. */
  async checkPolicy(em: EntityManager | null, msg: OutgoingMessage): Promise<void> {
    const m = em ?? this.d.ds.manager;
    const parsed = await parseMessage(msg.raw, { now: this.d.clock.now() });
    const sender = await this.sender(m, msg);
    this.checkSize(msg, parsed, sender);
    const plan = await this.plan(m, msg);
    await this.checkRecipients(m, msg, plan, sender, false);
  }

  /** The recipient checks alone (SMTP RCPT TO): unknown internal addresses, external sending, daily limit. */
  async checkRecipientsOnly(em: EntityManager | null, msg: Omit<OutgoingMessage, 'raw'>): Promise<void> {
    const m = em ?? this.d.ds.manager;
    const full = { ...msg, raw: Buffer.alloc(0) };
    await this.checkRecipients(m, full, await this.plan(m, full), await this.sender(m, full), false);
  }

  /** Inside the caller's transaction; call `afterCommit()` once that transaction has committed. */
  async submitIn(
    em: EntityManager,
    msg: OutgoingMessage,
  ): Promise<SubmitResult & { afterCommit(): Promise<void> }> {
    const now = this.d.clock.now();
    const parsed = await parseMessage(msg.raw, { now });
    const sender = await this.sender(em, msg);
    this.checkSize(msg, parsed, sender);
    const plan = await this.plan(em, msg);
    await this.checkRecipients(em, msg, plan, sender, true);

    const saveSent = msg.saveSentCopy ?? msg.kind === 'user';
    const reasons =
      msg.kind === 'user' && !msg.approved && sender && this.approvals
        ? await this.approvals.reasons(em, {
            tenantId: msg.tenantId,
            memberId: sender.memberId,
            raw: msg.raw,
            parsed,
            recipients: msg.recipients,
            external: [...plan.remote.values()].flat(),
          })
        : [];
    const sentMessageId =
      saveSent && msg.mailboxId ? await this.storeSentCopy(em, msg, msg.mailboxId, parsed, now) : null;
    if (reasons.length > 0) {
      const held = await this.approvals!.hold(em, {
        msg,
        memberId: sender!.memberId,
        parsed,
        reasons,
        sentMessageId,
        now,
      });
      return {
        sentMessageId,
        localMessageIds: [],
        queued: 0,
        heldForApproval: held.approvalId,
        afterCommit: held.afterCommit,
      };
    }

    // Recipients' copies never show the Bcc list (the sender's Sent copy keeps it).
    const delivered = withoutBcc(msg.raw);
    const effects: (() => Promise<void>)[] = [];
    const localMessageIds: string[] = [];
    for (const [tenantId, targets] of plan.local) {
      if (targets.length === 0) continue;
      const pending = await this.d.delivery.deliverIn(em, {
        tenantId,
        raw: delivered,
        targets,
        source: 'local',
        envelopeFrom: msg.envelopeFrom,
        parsed: delivered === msg.raw ? parsed : undefined,
        receivedAt: now,
      });
      localMessageIds.push(...pending.messageIds);
      effects.push(() => pending.afterCommit());
    }

    let queued = 0;
    if (plan.remote.size > 0) {
      const blobSha256 = await putBlob(em, msg.tenantId, delivered);
      const dkimDomain = await this.dkimDomain(em, msg, parsed);
      const ids = await this.d.queue.enqueue(
        em,
        [...plan.remote].map(([domain, recipients]) => ({
          tenantId: msg.tenantId,
          mailboxId: msg.mailboxId,
          kind: msg.kind,
          envelopeFrom: msg.envelopeFrom,
          domain,
          recipients,
          blobSha256,
          dkimDomain,
          messageId: parsed.messageId,
          subject: parsed.subject,
        })),
        now,
      );
      queued = ids.length;
    }
    return {
      sentMessageId,
      localMessageIds,
      queued,
      afterCommit: async () => {
        for (const effect of effects) await effect();
        if (queued > 0) for (const listener of this.queuedListeners) listener();
      },
    };
  }

  /** Same, in its own transaction, then afterCommit. */
  async submit(msg: OutgoingMessage): Promise<SubmitResult> {
    const pending = await this.d.ds.transaction((em) => this.submitIn(em, msg));
    await pending.afterCommit();
    return {
      sentMessageId: pending.sentMessageId,
      localMessageIds: pending.localMessageIds,
      queued: pending.queued,
      heldForApproval: pending.heldForApproval,
    };
  }

  private async sender(em: EntityManager, msg: OutgoingMessage): Promise<Sender | null> {
    if (msg.kind === 'system') return null;
    const policy = await this.d.policy.forTenant(msg.tenantId, em);
    if (!msg.mailboxId) return { memberId: null, policy };
    const rows: { member_id: string | null }[] = await em.query(
      `SELECT member_id FROM mailboxes WHERE tenant_id = $1 AND id = $2 AND status <> 'purged'`,
      [msg.tenantId, msg.mailboxId],
    );
    if (!rows[0]) throw new NotFoundError('Mailbox');
    return { memberId: rows[0].member_id, policy };
  }

  private checkSize(msg: OutgoingMessage, parsed: ParsedMessage, sender: Sender | null): void {
    if (!sender) return;
    const { maxMessageBytes, maxAttachmentBytes } = sender.policy;
    if (msg.raw.length > maxMessageBytes) {
      throw new AppError(
        ErrorCodes.mailTooLarge,
        413,
        `The message is ${mb(msg.raw.length)} MB; your organization allows at most ${mb(maxMessageBytes)} MB`,
        { details: { size: msg.raw.length, limit: maxMessageBytes } },
      );
    }
    const big = parsed.attachments.filter((a) => a.size > maxAttachmentBytes);
    if (big.length > 0) {
      throw new AppError(
        ErrorCodes.mailAttachmentTooLarge,
        413,
        `Attachment "${big[0]!.filename}" is larger than the ${mb(maxAttachmentBytes)} MB your organization allows`,
        {
          details: {
            attachments: big.map((a) => ({ filename: a.filename, size: a.size })),
            limit: maxAttachmentBytes,
          },
        },
      );
    }
  }

  /** Resolves every recipient: our mailboxes (any organization hosted here) or a remote domain. */
  private async plan(em: EntityManager, msg: OutgoingMessage): Promise<Plan> {
    const plan: Plan = { local: new Map(), remote: new Map(), internal: [], unknown: [], refused: [] };
    const addresses = [...new Set(msg.recipients.map((r) => r.trim().toLowerCase()).filter(Boolean))];
    if (addresses.length === 0)
      throw new AppError(ErrorCodes.mailNoRecipients, 400, 'Add at least one recipient');
    const addLocal = (tenantId: string, targets: DeliveryTarget[]) =>
      plan.local.set(tenantId, [...(plan.local.get(tenantId) ?? []), ...targets]);
    for (const address of addresses) {
      if (!ADDRESS.test(address) || address.length > 320) {
        plan.refused.push({ address, reason: 'not a valid email address' });
        continue;
      }
      const r = await this.d.recipients.resolve(address, msg.raw.length, em);
      if (r.kind !== 'unknown_domain' && r.kind !== 'unknown_address' && r.tenantId === msg.tenantId)
        plan.internal.push(address);
      switch (r.kind) {
        case 'unknown_domain': {
          const domain = address.slice(address.lastIndexOf('@') + 1).replace(/\.$/, '');
          plan.remote.set(domain, [...(plan.remote.get(domain) ?? []), address]);
          break;
        }
        case 'unknown_address':
          plan.unknown.push(address);
          break;
        case 'mailbox':
        case 'alias':
          if (r.overQuota) plan.refused.push({ address, reason: 'the mailbox is full' });
          else addLocal(r.tenantId, [r.target]);
          break;
        case 'group': {
          // The group's send policy (anyone / internal / members / listed); system mail is exempt.
          const refusal =
            msg.kind === 'system'
              ? null
              : await this.d.recipients.groupRefusal(
                  r,
                  { tenantId: msg.tenantId, mailboxId: msg.mailboxId },
                  em,
                );
          if (refusal) plan.refused.push({ address, reason: REFUSAL_TEXT[refusal] });
          else
            addLocal(
              r.tenantId,
              r.targets.filter((t) => t.usedBytes + msg.raw.length <= t.quotaBytes),
            );
          break;
        }
      }
    }
    return plan;
  }

  /**
   * Unknown/refused recipients fail a person's send (nothing is stored); automatic mail skips them.
   * External recipients need the external-sending right and room in today's limit (consumed when `consume`).
   */
  private async checkRecipients(
    em: EntityManager,
    msg: OutgoingMessage,
    plan: Plan,
    sender: Sender | null,
    consume: boolean,
  ): Promise<void> {
    if (msg.kind === 'user') {
      if (plan.unknown.length > 0) {
        throw new AppError(
          ErrorCodes.mailUnknownRecipient,
          422,
          `No such address in the organization: ${plan.unknown.join(', ')}`,
          { details: { recipients: plan.unknown } },
        );
      }
      if (plan.refused.length > 0) {
        throw new AppError(
          ErrorCodes.mailRecipientRefused,
          422,
          plan.refused.map((r) => `${r.address}: ${r.reason}`).join('; '),
          { details: { recipients: plan.refused.map((r) => r.address), reasons: plan.refused } },
        );
      }
    }
    if (!sender) return;
    if (
      plan.internal.length > 0 &&
      !(await this.d.policy.internalAllowed(em, msg.tenantId, sender.memberId, sender.policy))
    ) {
      throw new AppError(
        ErrorCodes.mailPolicyInternalDenied,
        403,
        'Your organization does not allow you to send mail inside the organization',
        { details: { recipients: plan.internal } },
      );
    }
    const external = [...plan.remote.values()].reduce((n, list) => n + list.length, 0);
    if (external === 0) return;
    if (!(await this.d.policy.externalAllowed(em, msg.tenantId, sender.memberId, sender.policy))) {
      throw new AppError(
        ErrorCodes.mailPolicyExternalDenied,
        403,
        'Your organization does not allow you to send mail outside the organization',
        { details: { recipients: [...plan.remote.values()].flat() } },
      );
    }
    // An approved message was counted against the daily limit when it was held.
    if (!sender.memberId || msg.approved) return;
    const limit = sender.policy.dailyExternalRecipientLimit;
    const now = this.d.clock.now();
    const ok = consume
      ? await this.d.policy.consume(em, msg.tenantId, sender.memberId, external, limit, now)
      : (await this.d.policy.usedToday(em, msg.tenantId, sender.memberId, now)) + external <= limit;
    if (!ok) {
      throw new AppError(
        ErrorCodes.mailDailyLimit,
        429,
        `You have reached today's limit of ${limit} external recipients; try again tomorrow`,
        { details: { limit, requested: external } },
      );
    }
  }

  private async storeSentCopy(
    em: EntityManager,
    msg: OutgoingMessage,
    mailboxId: string,
    parsed: ParsedMessage,
    now: Date,
  ): Promise<string> {
    const blob = await putBlob(em, msg.tenantId, msg.raw);
    const sent = (await systemFolderIds(em, msg.tenantId, [mailboxId], 'sent')).get(mailboxId)!;
    if (msg.existingMessageId) {
      const rows: { id: string; size: string }[] = await em.query(
        `SELECT id, size FROM messages WHERE tenant_id = $1 AND mailbox_id = $2 AND id = $3 FOR UPDATE`,
        [msg.tenantId, mailboxId, msg.existingMessageId],
      );
      if (!rows[0]) throw new NotFoundError('Message');
      await em.query(
        `UPDATE messages SET folder_id = $4, is_seen = true, blob_sha256 = $5, size = $6, message_id = $7,
                sent_at = coalesce($8, sent_at), received_at = $9
          WHERE tenant_id = $1 AND mailbox_id = $2 AND id = $3`,
        [
          msg.tenantId,
          mailboxId,
          msg.existingMessageId,
          sent,
          blob,
          msg.raw.length,
          parsed.messageId,
          parsed.date,
          now,
        ],
      );
      await em.query(
        `UPDATE mailboxes SET used_bytes = greatest(0, used_bytes + $3), updated_at = now() WHERE tenant_id = $1 AND id = $2`,
        [msg.tenantId, mailboxId, msg.raw.length - Number(rows[0].size)],
      );
      return msg.existingMessageId;
    }
    const thread = (await threadIds(em, msg.tenantId, [mailboxId], parsed)).get(mailboxId)!;
    const [id] = await insertMessages(
      em,
      msg.tenantId,
      blob,
      { ...parsed, size: msg.raw.length },
      [{ mailboxId, folderId: sent, threadId: thread, seen: true }],
      now,
    );
    return id!;
  }

  /** The domain that signs: the From header's if it is ours, else the envelope sender's if ours. */
  private async dkimDomain(
    em: EntityManager,
    msg: OutgoingMessage,
    parsed: ParsedMessage,
  ): Promise<string | null> {
    const candidates = [parsed.from[0]?.address, msg.envelopeFrom]
      .map((a) => a?.split('@')[1]?.toLowerCase())
      .filter((d): d is string => !!d);
    if (candidates.length === 0) return null;
    const rows: { name: string }[] = await em.query(
      `SELECT name FROM domains WHERE tenant_id = $1 AND name = ANY($2)`,
      [msg.tenantId, candidates],
    );
    return candidates.find((c) => rows.some((r) => r.name === c)) ?? null;
  }
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, '');
}

/** The message without its Bcc header field (RFC 5322 §3.6.3), or the same buffer when it has none. */
export function withoutBcc(raw: Buffer): Buffer {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 2 : lf >= 0 ? lf + 1 : raw.length;
  const head = raw.subarray(0, end).toString('latin1');
  if (!/^bcc:/im.test(head)) return raw;
  const kept = head.replace(/^bcc:[^\r\n]*(\r?\n[ \t][^\r\n]*)*\r?\n/gim, '');
  return Buffer.concat([Buffer.from(kept, 'latin1'), raw.subarray(head.length)]);
}
