import { z } from 'zod';
import { Timestamp, Uuid } from '../common';

/** One recipient as the user picked it. */
export const Recipient = z
  .object({
    name: z.string().max(200).optional(),
    address: z.email({ error: 'expected an email address' }).max(320),
  })
  .meta({ id: 'Recipient' });
export type Recipient = z.infer<typeof Recipient>;

/**
 * An attachment of a draft: a fresh upload, or a part of a message of the same mailbox (the
 * original of a forward, or the draft itself: a draft's listed attachments are refs to itself).
 */
export const AttachmentRef = z
  .union([
    z.object({ uploadId: Uuid }),
    z.object({ messageId: Uuid, attachmentId: z.string().regex(/^att-\d+$/) }),
  ])
  .meta({ id: 'AttachmentRef' });
export type AttachmentRef = z.infer<typeof AttachmentRef>;

export const ReplyMode = z.enum(['reply', 'replyAll']);
export const Importance = z.enum(['high', 'normal', 'low']);

const MAX_RECIPIENTS = 500;

/** What the user writes. `html` is stored as written; the copy sent out is sanitized. */
export const DraftFields = z.object({
  to: z.array(Recipient).max(MAX_RECIPIENTS).default([]),
  cc: z.array(Recipient).max(MAX_RECIPIENTS).default([]),
  /** Kept in the draft and used for the envelope; never written into the headers sent. */
  bcc: z.array(Recipient).max(MAX_RECIPIENTS).default([]),
  subject: z.string().max(998).default(''),
  text: z.string().max(2_000_000).optional(),
  html: z.string().max(5_000_000).optional(),
  attachments: z.array(AttachmentRef).max(100).default([]),
  importance: Importance.default('normal'),
});
export type DraftFields = z.infer<typeof DraftFields>;

/** Starting a reply or a forward: the server fills recipients, subject, quote and headers. */
export const ComposeOrigin = z.object({
  replyTo: z.object({ messageId: Uuid, mode: ReplyMode }).optional(),
  forwardOf: Uuid.optional(),
});

export const CreateDraftBody = DraftFields.extend(ComposeOrigin.shape).meta({ id: 'CreateDraftBody' });
export type CreateDraftBody = z.infer<typeof CreateDraftBody>;

/** Autosave: `version` is the version the client last read; a newer one on the server → 409. */
export const SaveDraftBody = DraftFields.extend({ version: z.number().int().min(1) }).meta({
  id: 'SaveDraftBody',
});
export type SaveDraftBody = z.infer<typeof SaveDraftBody>;

export const DraftAttachmentDto = z
  .object({
    messageId: Uuid,
    attachmentId: z.string(),
    filename: z.string(),
    contentType: z.string(),
    size: z.number().int(),
  })
  .meta({ id: 'DraftAttachment' });

export const DraftDto = z
  .object({
    id: Uuid,
    version: z.number().int(),
    folder: z.enum(['drafts', 'scheduled']),
    to: z.array(Recipient),
    cc: z.array(Recipient),
    bcc: z.array(Recipient),
    subject: z.string(),
    text: z.string().nullable(),
    html: z.string().nullable(),
    importance: Importance,
    attachments: z.array(DraftAttachmentDto),
    replyOf: Uuid.nullable(),
    forwardOf: Uuid.nullable(),
    messageIdHeader: z.string(),
    updatedAt: Timestamp,
  })
  .meta({ id: 'Draft' });
export type DraftDto = z.infer<typeof DraftDto>;

export const UploadQuery = z.object({
  filename: z.string().min(1).max(255).optional(),
  /** The file's type when the body is sent as application/octet-stream. */
  type: z.string().max(255).optional(),
});

export const UploadDto = z
  .object({ id: Uuid, filename: z.string(), size: z.number().int(), contentType: z.string() })
  .meta({ id: 'Upload' });
export type UploadDto = z.infer<typeof UploadDto>;

/**
 * Send: a saved draft (`draftId`, optionally with edits) or the fields themselves. `sendAt`
 * schedules it: an ISO time with an offset, or a local time ("2026-11-24T09:00") read in
 * `timeZone` (default: the organization's). Without it the send waits for the undo window.
 * With `draftId`, the fields given replace the draft's (no defaults: an absent field is kept).
 */
export const SendBody = z
  .object({
    to: z.array(Recipient).max(MAX_RECIPIENTS).optional(),
    cc: z.array(Recipient).max(MAX_RECIPIENTS).optional(),
    bcc: z.array(Recipient).max(MAX_RECIPIENTS).optional(),
    subject: z.string().max(998).optional(),
    text: z.string().max(2_000_000).optional(),
    html: z.string().max(5_000_000).optional(),
    attachments: z.array(AttachmentRef).max(100).optional(),
    importance: Importance.optional(),
  })
  .extend(ComposeOrigin.shape)
  .extend({
    draftId: Uuid.optional(),
    version: z.number().int().min(1).optional(),
    sendAt: z.string().max(40).optional(),
    timeZone: z.string().max(64).optional(),
  })
  .meta({ id: 'SendBody' });
export type SendBody = z.infer<typeof SendBody>;

export const SendResult = z
  .object({
    scheduledId: Uuid,
    messageId: Uuid,
    kind: z.enum(['undo', 'scheduled']),
    dueAt: Timestamp,
    /** Until when "undo" works (the due time of an undo-window send). */
    undoUntil: Timestamp.nullable(),
  })
  .meta({ id: 'SendResult' });
export type SendResult = z.infer<typeof SendResult>;
