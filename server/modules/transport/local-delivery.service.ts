import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '../../platform/clock';
import type { Logger } from '../../platform/logger';
import {
  insertMessages,
  parseMessage,
  putBlob,
  systemFolderIds,
  threadIds,
  type FolderRole,
  type ParsedMessage,
} from '../mail';
import type { DeliveryTarget } from '../mailboxes';

export interface LocalDelivery {
  tenantId: string;
  raw: Buffer;
  targets: DeliveryTarget[];
  receivedAt?: Date;
  /** Header lines (without trailing CRLF) put on top of the stored copy, e.g. Authentication-Results. */
  prependHeaders?: string[];
  /** Where the message came from: over SMTP from outside, or sent by one of our own mailboxes. */
  source?: 'smtp' | 'local';
  /** Envelope sender (MAIL FROM); '' for the null sender of bounces. */
  envelopeFrom?: string | null;
  /** Set by the inbound checks: the verdict decides Junk placement (a hook applies it). */
  verdict?: DeliveryVerdict;
  /** A message already parsed by the caller (the same bytes); saves a second parse. */
  parsed?: ParsedMessage;
}

export interface DeliveryVerdict {
  spam: boolean;
  score: number;
  reasons: string[];
}

/**
 * Where one mailbox's copy goes and how it looks. Hooks refine it in order (spam, then rules);
 * `discard` drops that mailbox's copy (a "delete" rule) while the delivery still succeeds.
 */
export interface Placement {
  folderRole: FolderRole;
  /** A custom folder chosen by a rule; wins over `folderRole`. */
  folderId?: string;
  seen: boolean;
  flagged: boolean;
  importance?: 'high' | 'normal' | 'low';
  labels: string[];
  discard: boolean;
  /** Why, for logs and the rule's "last matched" (e.g. ['spam:dmarc_reject', 'rule:<id>']). */
  trace: string[];
}

export interface DeliveryContext {
  tenantId: string;
  parsed: ParsedMessage;
  source: 'smtp' | 'local';
  envelopeFrom: string | null;
  verdict: DeliveryVerdict | null;
  targets: DeliveryTarget[];
  /** The message as received (without prepended headers): rules read headers the parser drops, forwards attach it. */
  raw: Buffer;
  /** Side effects (forwards, auto-replies, notices) to run once the transaction has committed. */
  afterCommit: ((delivered: DeliveredMail) => Promise<void>)[];
}

/**
 * Runs inside the delivery transaction, once per delivery, for all mailboxes at once. It may read
 * with `em` and must not fail the delivery for one bad rule: catch, log and leave the placement.
 */
export interface DeliveryHook {
  readonly name: string;
  place(em: EntityManager, ctx: DeliveryContext, placements: Map<string, Placement>): Promise<void>;
}

/** What was stored, for the side effects that follow the commit. */
export interface DeliveredMail {
  tenantId: string;
  parsed: ParsedMessage;
  source: 'smtp' | 'local';
  envelopeFrom: string | null;
  blobSha256: string;
  /** One per stored copy (discarded mailboxes are not listed). */
  copies: {
    mailboxId: string;
    memberId: string | null;
    messageId: string;
    folderRole: FolderRole | null;
    /** `suspended`: the member has left (mail is kept during retention; see the departed-mail handler). */
    mailboxStatus: 'active' | 'suspended';
  }[];
}

export type DeliveredListener = (delivered: DeliveredMail) => Promise<void>;

export interface Delivered {
  parsed: ParsedMessage;
  /** One per distinct mailbox that kept a copy. */
  messageIds: string[];
  blobSha256: string;
  mail: DeliveredMail;
}

/** A delivery done inside someone else's transaction: call `commit()` after that transaction commits. */
export interface PendingDelivery extends Delivered {
  afterCommit(): Promise<void>;
}

/**
 * The storing end of delivery: parse once, store the raw bytes once, and in the same transaction
 * one message row per distinct mailbox in the folder its hooks chose (Inbox unless spam or a rule
 * says otherwise), threaded, with usage accounted. The caller (SMTP or a local send) answers
 * success only after this resolves, i.e. after the commit; side effects run after that.
 */
export class LocalDeliveryService {
  private readonly hooks: DeliveryHook[] = [];
  private readonly listeners: DeliveredListener[] = [];

  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    private readonly logger?: Logger,
  ) {}

  /** Hooks run in the order added (the spam verdict first, then rules). */
  addHook(hook: DeliveryHook): void {
    this.hooks.push(hook);
  }

  /** Called after every committed delivery (new-mail notices, auto-replies). Failures are logged. */
  onDelivered(listener: DeliveredListener): void {
    this.listeners.push(listener);
  }

  async deliver(input: LocalDelivery): Promise<Delivered> {
    const parsed = input.parsed ?? (await parseMessage(input.raw, { now: this.clock.now() }));
    const pending = await this.ds.transaction((em) => this.deliverIn(em, { ...input, parsed }));
    await pending.afterCommit();
    return pending;
  }

  /** The same delivery inside the caller's transaction (a send stores its Sent copy alongside). */
  async deliverIn(em: EntityManager, input: LocalDelivery): Promise<PendingDelivery> {
    const parsed = input.parsed ?? (await parseMessage(input.raw, { now: this.clock.now() }));
    const raw =
      input.prependHeaders && input.prependHeaders.length > 0
        ? Buffer.concat([Buffer.from(input.prependHeaders.map((h) => `${h}\r\n`).join('')), input.raw])
        : input.raw;
    // A person reached twice (directly and through a group) gets the message once.
    const targets = [...new Map(input.targets.map((t) => [t.mailboxId, t])).values()];
    const mailboxIds = targets.map((t) => t.mailboxId);
    const receivedAt = input.receivedAt ?? this.clock.now();
    const source = input.source ?? 'smtp';
    const envelopeFrom = input.envelopeFrom ?? null;
    const ctx: DeliveryContext = {
      tenantId: input.tenantId,
      parsed,
      source,
      envelopeFrom,
      verdict: input.verdict ?? null,
      targets,
      raw: input.raw,
      afterCommit: [],
    };

    const blobSha256 = await putBlob(em, input.tenantId, raw);
    const mail: DeliveredMail = {
      tenantId: input.tenantId,
      parsed,
      source,
      envelopeFrom,
      blobSha256,
      copies: [],
    };
    const messageIds: string[] = [];
    if (mailboxIds.length > 0) {
      const placements = new Map<string, Placement>(
        mailboxIds.map((id) => [
          id,
          { folderRole: 'inbox', seen: false, flagged: false, labels: [], discard: false, trace: [] },
        ]),
      );
      for (const hook of this.hooks) await hook.place(em, ctx, placements);

      const kept = targets.filter((t) => !placements.get(t.mailboxId)!.discard);
      if (kept.length > 0) {
        const keptIds = kept.map((t) => t.mailboxId);
        const roles = [...new Set(kept.map((t) => placements.get(t.mailboxId)!.folderRole))];
        const folderByRole = new Map<FolderRole, Map<string, string>>();
        for (const role of roles)
          folderByRole.set(role, await systemFolderIds(em, input.tenantId, keptIds, role));
        const threads = await threadIds(em, input.tenantId, keptIds, parsed);
        const ids = await insertMessages(
          em,
          input.tenantId,
          blobSha256,
          { ...parsed, size: raw.length },
          kept.map((t) => {
            const p = placements.get(t.mailboxId)!;
            return {
              mailboxId: t.mailboxId,
              folderId: p.folderId ?? folderByRole.get(p.folderRole)!.get(t.mailboxId)!,
              threadId: threads.get(t.mailboxId)!,
              seen: p.seen,
              flagged: p.flagged,
              importance: p.importance,
              labels: p.labels,
            };
          }),
          receivedAt,
        );
        messageIds.push(...ids);
        kept.forEach((t, i) => {
          const p = placements.get(t.mailboxId)!;
          mail.copies.push({
            mailboxId: t.mailboxId,
            memberId: t.memberId,
            messageId: ids[i]!,
            folderRole: p.folderId ? null : p.folderRole,
            mailboxStatus: t.status,
          });
        });
      }
    }

    return {
      parsed,
      messageIds,
      blobSha256,
      mail,
      afterCommit: async () => {
        for (const effect of [...ctx.afterCommit, ...this.listeners]) {
          await effect(mail).catch((err: unknown) =>
            this.logger?.error({ err, tenantId: input.tenantId }, 'after-delivery side effect failed'),
          );
        }
      },
    };
  }
}
