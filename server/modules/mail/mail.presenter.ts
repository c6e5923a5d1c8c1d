import type { MailAddressDto, MessageSummaryDto } from '../../../shared/mail/messages';
import { ErrorCodes } from '../../../shared/errors';
import { AppError } from '../../platform/errors';

/** The summary columns of `messages m`, plus the exact (microsecond) sort key for cursors. */
export const SUMMARY_COLUMNS = `m.id, m.thread_id, m.folder_id, m.subject, m.from_name, m.from_address, m.to_addresses,
  m.snippet, m.is_seen, m.is_flagged, m.is_answered, m.labels, m.importance, m.has_attachments, m.size, m.received_at,
  to_char(m.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS received_key`;

export interface SummaryRow {
  id: string;
  thread_id: string;
  folder_id: string;
  subject: string;
  from_name: string | null;
  from_address: string | null;
  to_addresses: MailAddressDto[] | null;
  snippet: string;
  is_seen: boolean;
  is_flagged: boolean;
  is_answered: boolean;
  labels: string[];
  importance: 'high' | 'normal' | 'low';
  has_attachments: boolean;
  size: string | number;
  received_at: Date;
  received_key: string;
}

export function presentSummary(r: SummaryRow): MessageSummaryDto {
  return {
    id: r.id,
    threadId: r.thread_id,
    folderId: r.folder_id,
    subject: r.subject,
    from: r.from_address || r.from_name ? { name: r.from_name ?? '', address: r.from_address ?? '' } : null,
    to: (r.to_addresses ?? []).map((a) => ({ name: a.name ?? '', address: a.address ?? '' })),
    snippet: r.snippet,
    flags: { seen: r.is_seen, flagged: r.is_flagged, answered: r.is_answered },
    labels: r.labels ?? [],
    importance: r.importance,
    hasAttachments: r.has_attachments,
    size: Number(r.size),
    receivedAt: r.received_at.toISOString(),
  };
}

export interface Keyset {
  receivedAt: string;
  id: string;
}

const KEYSET =
  /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** Opaque to clients: the (received_at, id) of the last row of a page, base64url. */
export function encodeCursor(row: Pick<SummaryRow, 'received_key' | 'id'>): string {
  return Buffer.from(`${row.received_key}|${row.id}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): Keyset | null {
  if (cursor === undefined) return null;
  const match = KEYSET.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match || Number.isNaN(Date.parse(match[1]!))) {
    throw new AppError(ErrorCodes.mailBadCursor, 400, 'The cursor is not one this API handed out');
  }
  return { receivedAt: match[1]!, id: match[2]! };
}

/** A page of `limit` rows from `limit + 1` fetched, with the cursor of the next one. */
export function pageOf(
  rows: SummaryRow[],
  limit: number,
): { messages: MessageSummaryDto[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  return {
    messages: page.map(presentSummary),
    nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!) : null,
  };
}

/** RFC 6266 / 5987: an ASCII fallback plus the exact UTF-8 name (Chinese names survive). */
export function contentDisposition(type: 'attachment' | 'inline', filename: string): string {
  const clean = filename.replace(/[\p{Cc}\p{Cf}]/gu, '').trim() || 'download';
  const fallback = clean.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  const encoded = encodeURIComponent(clean).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** A download name from a subject: no path separators or characters file systems reject. */
export function emlFilename(subject: string): string {
  const base = subject
    .replace(/[\\/:*?"<>|\p{Cc}\p{Cf}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 120);
  return `${base || 'message'}.eml`;
}
