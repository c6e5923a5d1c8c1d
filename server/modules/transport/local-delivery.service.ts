import type { DataSource } from 'typeorm';
import type { Clock } from '../../platform/clock';
import {
  insertMessages,
  parseMessage,
  putBlob,
  systemFolderIds,
  threadIds,
  type ParsedMessage,
} from '../mail';
import type { DeliveryTarget } from '../mailboxes';

export interface LocalDelivery {
  tenantId: string;
  raw: Buffer;
  targets: DeliveryTarget[];
  receivedAt?: Date;
}

export interface Delivered {
  parsed: ParsedMessage;
  /** One per distinct mailbox. */
  messageIds: string[];
  blobSha256: string;
}

/**
 * The storing end of delivery: parse once, store the raw bytes once, and in the same transaction
 * one message row per distinct mailbox in its Inbox (threaded), with usage accounted. The caller
 * (SMTP or local send) answers success only after this resolves, i.e. after the commit.
 */
export class LocalDeliveryService {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
  ) {}

  async deliver(input: LocalDelivery): Promise<Delivered> {
    const parsed = await parseMessage(input.raw, { now: this.clock.now() });
    // A person reached twice (directly and through a group) gets the message once.
    const mailboxIds = [...new Set(input.targets.map((t) => t.mailboxId))];
    const receivedAt = input.receivedAt ?? this.clock.now();
    return this.ds.transaction(async (em) => {
      const blobSha256 = await putBlob(em, input.tenantId, input.raw);
      if (mailboxIds.length === 0) return { parsed, messageIds: [], blobSha256 };
      const inboxes = await systemFolderIds(em, input.tenantId, mailboxIds, 'inbox');
      const threads = await threadIds(em, input.tenantId, mailboxIds, parsed);
      const messageIds = await insertMessages(
        em,
        input.tenantId,
        blobSha256,
        parsed,
        mailboxIds.map((mailboxId) => ({
          mailboxId,
          folderId: inboxes.get(mailboxId)!,
          threadId: threads.get(mailboxId)!,
        })),
        receivedAt,
      );
      return { parsed, messageIds, blobSha256 };
    });
  }
}
