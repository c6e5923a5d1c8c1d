import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '../../platform/clock';
import type { Logger } from '../../platform/logger';
import {
  insertMessageBatch,
  parseMessage,
  putBlobs,
  systemFolderMap,
  threadIdsMany,
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
 * `prepare` (optional) runs first, once for every delivery of a batch, so a hook can read what all
 * of them need in one statement instead of one per message.
 */
export interface DeliveryHook {
  readonly name: string;
  prepare?(em: EntityManager, tenantId: string, batch: HookInput[]): Promise<void>;
  place(em: EntityManager, ctx: DeliveryContext, placements: Map<string, Placement>): Promise<void>;
}

export interface HookInput {
  ctx: DeliveryContext;
  placements: Map<string, Placement>;
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
 *
 * Group commit: deliveries that arrive while earlier ones are being stored wait and are then
 * stored together, in one transaction with one statement per step for the whole batch (a busy MX
 * pays for a handful of statements and one WAL flush per batch instead of a dozen per message).
 * Nobody is answered before their batch commits; if a batch fails, its deliveries are retried one
 * by one so a single bad message fails alone.
 */
export class LocalDeliveryService {
  private readonly hooks: DeliveryHook[] = [];
  private readonly listeners: DeliveredListener[] = [];
  private readonly queue: QueuedDelivery[] = [];
  private inFlight = 0;

  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    private readonly logger?: Logger,
    private readonly batching: { maxBatch: number; maxConcurrent: number } = {
      maxBatch: 64,
      maxConcurrent: 2,
    },
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
    const pending = await new Promise<PendingDelivery>((resolve, reject) => {
      this.queue.push({ input: { ...input, parsed }, resolve, reject });
      this.pump();
    });
    await pending.afterCommit();
    return pending;
  }

  /** The same delivery inside the caller's transaction (a send stores its Sent copy alongside). */
  async deliverIn(em: EntityManager, input: LocalDelivery): Promise<PendingDelivery> {
    const [pending] = await this.deliverManyIn(em, input.tenantId, [input]);
    return pending!;
  }

  /** Starts batches while there is room: each takes every queued delivery of one organization. */
  private pump(): void {
    while (this.inFlight < this.batching.maxConcurrent && this.queue.length > 0) {
      const tenantId = this.queue[0]!.input.tenantId;
      const batch: QueuedDelivery[] = [];
      for (let i = 0; i < this.queue.length && batch.length < this.batching.maxBatch;) {
        if (this.queue[i]!.input.tenantId === tenantId) batch.push(...this.queue.splice(i, 1));
        else i++;
      }
      this.inFlight++;
      void this.store(tenantId, batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async store(tenantId: string, batch: QueuedDelivery[]): Promise<void> {
    try {
      const pendings = await this.ds.transaction((em) =>
        this.deliverManyIn(
          em,
          tenantId,
          batch.map((b) => b.input),
        ),
      );
      batch.forEach((b, i) => b.resolve(pendings[i]!));
      return;
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      this.logger?.warn({ err, tenantId, size: batch.length }, 'delivery batch failed; storing one by one');
    }
    for (const b of batch) {
      try {
        b.resolve(await this.ds.transaction((em) => this.deliverIn(em, b.input)));
      } catch (err) {
        b.reject(err);
      }
    }
  }

  /** Several deliveries of one organization inside the caller's transaction, one statement per step. */
  private async deliverManyIn(
    em: EntityManager,
    tenantId: string,
    inputs: LocalDelivery[],
  ): Promise<PendingDelivery[]> {
    const now = this.clock.now();
    const items = await Promise.all(
      inputs.map(async (input) => {
        const parsed = input.parsed ?? (await parseMessage(input.raw, { now }));
        const raw =
          input.prependHeaders && input.prependHeaders.length > 0
            ? Buffer.concat([Buffer.from(input.prependHeaders.map((h) => `${h}\r\n`).join('')), input.raw])
            : input.raw;
        // A person reached twice (directly and through a group) gets the message once.
        const targets = [...new Map(input.targets.map((t) => [t.mailboxId, t])).values()];
        const ctx: DeliveryContext = {
          tenantId,
          parsed,
          source: input.source ?? 'smtp',
          envelopeFrom: input.envelopeFrom ?? null,
          verdict: input.verdict ?? null,
          targets,
          raw: input.raw,
          afterCommit: [],
        };
        const placements = new Map<string, Placement>(
          targets.map((t) => [
            t.mailboxId,
            { folderRole: 'inbox', seen: false, flagged: false, labels: [], discard: false, trace: [] },
          ]),
        );
        return { input, parsed, raw, targets, ctx, placements, receivedAt: input.receivedAt ?? now };
      }),
    );

    const blobs = await putBlobs(
      em,
      tenantId,
      items.map((it) => it.raw),
    );
    const placing = items.filter((it) => it.targets.length > 0);
    for (const hook of this.hooks) {
      if (hook.prepare && placing.length > 0) await hook.prepare(em, tenantId, placing);
      for (const it of placing) await hook.place(em, it.ctx, it.placements);
    }

    const kept = items.map((it) => it.targets.filter((t) => !it.placements.get(t.mailboxId)!.discard));
    const keptMailboxes = [...new Set(kept.flat().map((t) => t.mailboxId))];
    const folders = keptMailboxes.length > 0 ? await systemFolderMap(em, tenantId, keptMailboxes) : new Map();
    const threads = await threadIdsMany(
      em,
      tenantId,
      items.map((it, i) => ({ mailboxIds: kept[i]!.map((t) => t.mailboxId), parsed: it.parsed })),
    );
    // One receive time per statement: deliveries of a batch were received within milliseconds.
    const byTime = new Map<number, number[]>();
    items.forEach((it, i) => {
      if (kept[i]!.length === 0) return;
      const at = it.receivedAt.getTime();
      byTime.set(at, [...(byTime.get(at) ?? []), i]);
    });
    const ids: string[][] = items.map(() => []);
    for (const [at, indexes] of byTime) {
      const stored = await insertMessageBatch(
        em,
        tenantId,
        indexes.map((i) => {
          const it = items[i]!;
          return {
            blobSha256: blobs[i]!,
            parsed: { ...it.parsed, size: it.raw.length },
            rows: kept[i]!.map((t) => {
              const p = it.placements.get(t.mailboxId)!;
              return {
                mailboxId: t.mailboxId,
                folderId: p.folderId ?? folders.get(t.mailboxId)!.get(p.folderRole)!,
                threadId: threads[i]!.get(t.mailboxId)!,
                seen: p.seen,
                flagged: p.flagged,
                importance: p.importance,
                labels: p.labels,
              };
            }),
          };
        }),
        new Date(at),
      );
      indexes.forEach((i, j) => (ids[i] = stored[j]!));
    }

    return items.map((it, i) => {
      const mail: DeliveredMail = {
        tenantId,
        parsed: it.parsed,
        source: it.ctx.source,
        envelopeFrom: it.ctx.envelopeFrom,
        blobSha256: blobs[i]!,
        copies: kept[i]!.map((t, j) => {
          const p = it.placements.get(t.mailboxId)!;
          return {
            mailboxId: t.mailboxId,
            memberId: t.memberId,
            messageId: ids[i]![j]!,
            folderRole: p.folderId ? null : p.folderRole,
            mailboxStatus: t.status,
          };
        }),
      };
      return {
        parsed: it.parsed,
        messageIds: ids[i]!,
        blobSha256: blobs[i]!,
        mail,
        afterCommit: async () => {
          for (const effect of [...it.ctx.afterCommit, ...this.listeners]) {
            await effect(mail).catch((err: unknown) =>
              this.logger?.error({ err, tenantId }, 'after-delivery side effect failed'),
            );
          }
        },
      };
    });
  }
}

interface QueuedDelivery {
  input: LocalDelivery;
  resolve(pending: PendingDelivery): void;
  reject(err: unknown): void;
}
