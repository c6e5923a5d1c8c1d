import { z } from 'zod';
import { Timestamp, Uuid } from '../common';
import { FolderRole, MailboxQuery, QueryFlag } from './folders';

export const MAX_PAGE_SIZE = 200;
export const MAX_BATCH = 500;

export const MailAddressDto = z.object({ name: z.string(), address: z.string() }).meta({ id: 'MailAddress' });
export type MailAddressDto = z.infer<typeof MailAddressDto>;

export const MessageFlagsDto = z.object({ seen: z.boolean(), flagged: z.boolean(), answered: z.boolean() });

export const MessageSummaryDto = z
  .object({
    id: Uuid,
    threadId: Uuid,
    folderId: Uuid,
    subject: z.string(),
    from: MailAddressDto.nullable(),
    to: z.array(MailAddressDto),
    snippet: z.string(),
    flags: MessageFlagsDto,
    labels: z.array(z.string()),
    importance: z.enum(['high', 'normal', 'low']),
    hasAttachments: z.boolean(),
    size: z.number().int(),
    receivedAt: Timestamp,
  })
  .meta({ id: 'MessageSummary' });
export type MessageSummaryDto = z.infer<typeof MessageSummaryDto>;

/** Opaque keyset cursor: pass `nextCursor` back unchanged. */
export const Cursor = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9_-]+$/, { error: 'not a cursor this API handed out' });

const PageLimit = z.coerce
  .number({ error: 'expected a number' })
  .int()
  .min(1)
  .max(MAX_PAGE_SIZE, { error: `at most ${MAX_PAGE_SIZE}` })
  .default(50);

export const ListMessagesQuery = MailboxQuery.extend({
  /** Default: the Inbox. */
  folderId: Uuid.optional(),
  folderRole: FolderRole.optional(),
  unread: QueryFlag.optional(),
  flagged: QueryFlag.optional(),
  hasAttachments: QueryFlag.optional(),
  limit: PageLimit,
  cursor: Cursor.optional(),
});
export type ListMessagesQuery = z.infer<typeof ListMessagesQuery>;

export const MessagePage = z
  .object({ messages: z.array(MessageSummaryDto), nextCursor: z.string().nullable() })
  .meta({ id: 'MessagePage' });
export type MessagePage = z.infer<typeof MessagePage>;

export const ThreadDto = z
  .object({ threadId: Uuid, messages: z.array(MessageSummaryDto) })
  .meta({ id: 'Thread' });

export const ReadMessageQuery = MailboxQuery.extend({
  /** Load remote images (blocked by default: they tell the sender the mail was opened). */
  remoteImages: QueryFlag.optional(),
  /** Mark the message seen while reading it (nothing is marked implicitly otherwise). */
  markSeen: QueryFlag.optional(),
});
export type ReadMessageQuery = z.infer<typeof ReadMessageQuery>;

export const AttachmentDto = z
  .object({
    id: z.string(),
    filename: z.string(),
    contentType: z.string(),
    size: z.number().int(),
    contentId: z.string().nullable(),
    /** Shown inside the HTML body through cid:, not listed as an attachment by mail clients. */
    inline: z.boolean(),
    /** Download URL (send the bearer token). */
    url: z.string(),
  })
  .meta({ id: 'Attachment' });
export type AttachmentDto = z.infer<typeof AttachmentDto>;

export const MessageDetailDto = MessageSummaryDto.extend({
  headers: z.object({
    from: z.array(MailAddressDto),
    to: z.array(MailAddressDto),
    cc: z.array(MailAddressDto),
    replyTo: z.array(MailAddressDto),
    date: Timestamp.nullable(),
    subject: z.string(),
    messageId: z.string(),
    inReplyTo: z.string().nullable(),
  }),
  text: z.string(),
  /** Sanitized HTML (never the sender's raw markup); render it in a sandboxed frame. Null: show `text`. */
  html: z.string().nullable(),
  /** Why `html` is null although the mail had HTML: too big or too deeply nested to sanitize in time. */
  htmlOmitted: z.enum(['too_large', 'too_deep']).nullable(),
  /** Remote images left out (blocked or tracking pixels); ask again with remoteImages=1 to load them. */
  blockedRemoteImages: z.number().int(),
  attachments: z.array(AttachmentDto),
}).meta({ id: 'MessageDetail' });
export type MessageDetailDto = z.infer<typeof MessageDetailDto>;

export const MessageParams = z.object({ id: Uuid });
export const AttachmentParams = z.object({
  id: Uuid,
  attachmentId: z.string().regex(/^att-\d{1,4}$/, { error: 'not an attachment id' }),
});
export const AttachmentQuery = MailboxQuery.extend({
  /** Inline display of an image (cid:); anything else is always a download. */
  inline: QueryFlag.optional(),
  /** A signed one-hour link for a cid: image (the HTML body carries it; no bearer token needed). */
  token: z
    .string()
    .max(400)
    .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, { error: 'not a link token' })
    .optional(),
});

export const Label = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .refine((v) => !/[\p{Cc}\p{Cf}]/u.test(v), { error: 'no control characters' });

export const UpdateMessageBody = z
  .object({
    seen: z.boolean().optional(),
    flagged: z.boolean().optional(),
    answered: z.boolean().optional(),
    labels: z.array(Label).max(50).optional(),
    /** Move to this folder of the same mailbox. */
    folderId: Uuid.optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { error: 'nothing to change' });
export type UpdateMessageBody = z.infer<typeof UpdateMessageBody>;

export const BatchAction = z.enum(['move', 'seen', 'unseen', 'flag', 'unflag', 'trash', 'restore', 'delete']);
export type BatchAction = z.infer<typeof BatchAction>;

/**
 * `trash` moves to Trash (remembering the folder), `restore` puts Trash messages back, `delete`
 * removes messages in Trash or Junk for good (others are left alone and not counted).
 */
export const BatchBody = z
  .object({
    ids: z
      .array(Uuid)
      .min(1)
      .max(MAX_BATCH, { error: `at most ${MAX_BATCH} ids` }),
    action: BatchAction,
    folderId: Uuid.optional(),
  })
  .refine((b) => b.action !== 'move' || b.folderId !== undefined, {
    error: 'move needs a folderId',
    path: ['folderId'],
  });
export type BatchBody = z.infer<typeof BatchBody>;

export const DeleteMessageResult = z
  .object({ outcome: z.enum(['trashed', 'deleted']) })
  .meta({ id: 'DeleteMessageResult' });
