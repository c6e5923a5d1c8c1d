import { AppError } from '../../platform/errors';
import { ErrorCodes } from '../../../shared/errors';

/** One mailbox of an address header, in our words. `address` is lowercased; `name` is decoded. */
export interface MailAddress {
  name: string;
  address: string;
}

export interface ParsedAttachment {
  /** Stable within one raw message: `att-<n>` in MIME order, so it can be re-derived from the stored blob. */
  id: string;
  /** IMAP-style part number (`1.2`), or null for a single-part message. */
  partId: string | null;
  /** Decoded (RFC 2231 / 2047) and made safe to use as a download name. */
  filename: string;
  contentType: string;
  /** Decoded bytes, whether or not `content` was kept. */
  size: number;
  /** Content-ID without angle brackets, or null. */
  contentId: string | null;
  disposition: 'attachment' | 'inline';
  /** sha256 hex of the decoded content. */
  checksum: string;
  /** Empty when the total attachment byte cap was reached (`contentOmitted`); re-read from the raw blob. */
  content: Buffer;
  contentOmitted: boolean;
  /** An inline part the HTML body shows through `cid:`; not counted by `hasAttachments`. */
  isReferencedInline: boolean;
}

export type Importance = 'high' | 'normal' | 'low';

/** The header names kept verbatim (unfolded, undecoded) for later stages: rules, auto-reply, auth display. */
export const KEPT_HEADER_NAMES = [
  'list-id',
  'list-unsubscribe',
  'list-unsubscribe-post',
  'auto-submitted',
  'precedence',
  'x-auto-response-suppress',
  'importance',
  'x-priority',
  'priority',
  'authentication-results',
  'received',
  'return-path',
  'delivered-to',
] as const;

export type KeptHeaderName = (typeof KEPT_HEADER_NAMES)[number];

export interface ParsedMessage {
  /** Without angle brackets. Generated from the raw bytes' hash when the message has none. */
  messageId: string;
  messageIdGenerated: boolean;
  inReplyTo: string | null;
  references: string[];
  subject: string;
  from: MailAddress[];
  sender: MailAddress[];
  replyTo: MailAddress[];
  to: MailAddress[];
  cc: MailAddress[];
  bcc: MailAddress[];
  /** The Date header as given, or null when missing or unparseable. */
  date: Date | null;
  /** The Date header lies more than a day ahead of the parse time. */
  dateIsSuspicious: boolean;
  /** Plain text body; for HTML-only mail a cheap extraction of the HTML, for search and snippets. */
  text: string;
  /** Raw, UNSANITIZED HTML body. Never send this to a client: run it through sanitizeMailHtml first. */
  html: string | null;
  /** `text` or `html` was cut at `maxBodyChars`. */
  bodyTruncated: boolean;
  snippet: string;
  attachments: ParsedAttachment[];
  /** Attachments past `maxAttachments`, neither buffered nor listed. */
  skippedAttachments: number;
  hasAttachments: boolean;
  headers: Partial<Record<KeptHeaderName, string[]>>;
  importance: Importance;
  /** RFC 3834: Auto-Submitted present and not "no". */
  isAutoSubmitted: boolean;
  /** Precedence bulk/list/junk, or List-Id / List-Unsubscribe present. */
  isBulkOrList: boolean;
  /** Raw size in bytes. */
  size: number;
  /** What the parser had to work around (broken MIME, unknown charset, caps hit). For logs, not users. */
  warnings: string[];
}

export interface ParseMessageOptions {
  /** Cap on `text` and on `html`, each, in characters. Default 2,000,000. */
  maxBodyChars?: number;
  /** Attachments past this many are drained unbuffered and counted in `skippedAttachments`. Default 200. */
  maxAttachments?: number;
  /** Total attachment bytes kept in memory; later attachments keep size and checksum only. Default 64 MiB. */
  maxAttachmentBytes?: number;
  /** "Now" for `dateIsSuspicious`; injected so tests control it. Default: the current time. */
  now?: Date;
  /** Give up waiting on the MIME parser after this long and return what is there. Default 30 s. */
  timeoutMs?: number;
}

export const MESSAGE_UNPARSEABLE = ErrorCodes.mailUnparseable;

/** Only raised for input with nothing in it to keep; anything else parses best effort. */
export class MessageParseError extends AppError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(MESSAGE_UNPARSEABLE, 422, message, options);
  }
}
