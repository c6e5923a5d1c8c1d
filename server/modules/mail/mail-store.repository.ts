import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { documentTokens } from './search-tokens';
import type { ParsedMessage } from './parsed-message';

export const SYSTEM_FOLDERS = [
  { role: 'inbox', name: 'Inbox' },
  { role: 'sent', name: 'Sent' },
  { role: 'drafts', name: 'Drafts' },
  { role: 'scheduled', name: 'Scheduled' },
  { role: 'trash', name: 'Trash' },
  { role: 'junk', name: 'Junk' },
  { role: 'archive', name: 'Archive' },
] as const;
export type FolderRole = (typeof SYSTEM_FOLDERS)[number]['role'];

/** Stores the raw bytes once per content within a tenant; returns the content key. */
export async function putBlob(em: EntityManager, tenantId: string, raw: Buffer): Promise<string> {
  const sha256 = createHash('sha256').update(raw).digest('hex');
  await em.query(
    `INSERT INTO mail_blobs (tenant_id, sha256, size, content) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
    [tenantId, sha256, raw.length, raw],
  );
  return sha256;
}

/** Creates any missing system folder of these mailboxes; returns the id of `role` for each. */
export async function systemFolderIds(
  em: EntityManager,
  tenantId: string,
  mailboxIds: string[],
  role: FolderRole,
): Promise<Map<string, string>> {
  const have: { mailbox_id: string }[] = await em.query(
    // System folders are created together, so a mailbox with an inbox has them all.
    `SELECT mailbox_id FROM folders WHERE tenant_id = $1 AND mailbox_id = ANY($2) AND role = 'inbox'`,
    [tenantId, mailboxIds],
  );
  const missing = mailboxIds.filter((id) => !have.some((h) => h.mailbox_id === id));
  if (missing.length > 0) {
    await em.query(
      `INSERT INTO folders (tenant_id, mailbox_id, name, role)
       SELECT $1, m.id, f.name, f.role FROM unnest($2::uuid[]) AS m(id)
        CROSS JOIN unnest($3::text[], $4::text[]) AS f(name, role)
       ON CONFLICT DO NOTHING`,
      [tenantId, missing, SYSTEM_FOLDERS.map((f) => f.name), SYSTEM_FOLDERS.map((f) => f.role)],
    );
  }
  const rows: { mailbox_id: string; id: string }[] = await em.query(
    `SELECT mailbox_id, id FROM folders WHERE tenant_id = $1 AND mailbox_id = ANY($2) AND role = $3`,
    [tenantId, mailboxIds, role],
  );
  return new Map(rows.map((r) => [r.mailbox_id, r.id]));
}

/**
 * Thread of a message in each mailbox: the thread of any message it replies to or references
 * (In-Reply-To, References), else a new one. One query for all the mailboxes.
 */
export async function threadIds(
  em: EntityManager,
  tenantId: string,
  mailboxIds: string[],
  parsed: Pick<ParsedMessage, 'inReplyTo' | 'references'>,
): Promise<Map<string, string>> {
  const refs = [...new Set([parsed.inReplyTo, ...parsed.references].filter((r): r is string => !!r))];
  const found = new Map<string, string>();
  if (refs.length > 0) {
    const rows: { mailbox_id: string; thread_id: string }[] = await em.query(
      `SELECT DISTINCT ON (mailbox_id) mailbox_id, thread_id FROM messages
        WHERE tenant_id = $1 AND mailbox_id = ANY($2) AND message_id = ANY($3)
        ORDER BY mailbox_id, received_at`,
      [tenantId, mailboxIds, refs],
    );
    for (const r of rows) found.set(r.mailbox_id, r.thread_id);
  }
  for (const id of mailboxIds) if (!found.has(id)) found.set(id, randomUUID());
  return found;
}

export interface NewMessageRow {
  mailboxId: string;
  folderId: string;
  threadId: string;
  seen?: boolean;
  flagged?: boolean;
  /** Overrides the message's own importance (a rule's "mark important"). */
  importance?: 'high' | 'normal' | 'low';
  labels?: string[];
}

/** One message row per mailbox (same content), and each mailbox's usage grows by the size. */
export async function insertMessages(
  em: EntityManager,
  tenantId: string,
  blobSha256: string,
  parsed: ParsedMessage,
  rows: NewMessageRow[],
  receivedAt: Date,
): Promise<string[]> {
  const ids = rows.map(() => randomUUID());
  const from = parsed.from[0];
  const attachments = parsed.attachments
    .filter((a) => a.disposition === 'attachment' || !a.isReferencedInline)
    .map((a) => ({
      id: a.id,
      filename: a.filename,
      contentType: a.contentType,
      size: a.size,
      contentId: a.contentId ?? null,
    }));
  const tokens = documentTokens(
    parsed.subject,
    ...parsed.from.map((a) => `${a.name} ${a.address}`),
    ...parsed.to.map((a) => `${a.name} ${a.address}`),
    ...parsed.cc.map((a) => `${a.name} ${a.address}`),
    ...parsed.attachments.map((a) => a.filename),
    parsed.text,
  );
  // One lock order for every writer: the mailboxes (by id) first, then what the insert touches (the
  // folder counters its trigger updates). Concurrent deliveries to overlapping sets never deadlock.
  const mailboxIds = [...new Set(rows.map((r) => r.mailboxId))].sort();
  await em.query(`SELECT 1 FROM mailboxes WHERE tenant_id = $1 AND id = ANY($2) ORDER BY id FOR UPDATE`, [
    tenantId,
    mailboxIds,
  ]);
  await em.query(
    `INSERT INTO messages (tenant_id, id, mailbox_id, folder_id, blob_sha256, message_id, thread_id, in_reply_to, subject,
                           from_name, from_address, to_addresses, cc_addresses, snippet, has_attachments, attachments,
                           size, importance, search_tokens, received_at, sent_at, is_seen, is_flagged, labels)
     SELECT $1, r.id, r.mailbox_id, r.folder_id, $2, $3, r.thread_id, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
            coalesce(r.importance, $14), $15, $16, $17, r.seen, r.flagged,
            ARRAY(SELECT jsonb_array_elements_text(r.labels))
       FROM unnest($18::uuid[], $19::uuid[], $20::uuid[], $21::uuid[], $22::boolean[], $23::boolean[], $24::text[], $25::jsonb[])
         AS r(id, mailbox_id, folder_id, thread_id, seen, flagged, importance, labels)`,
    [
      tenantId,
      blobSha256,
      parsed.messageId,
      parsed.inReplyTo,
      parsed.subject,
      from?.name || null,
      from?.address || null,
      JSON.stringify(parsed.to),
      JSON.stringify(parsed.cc),
      parsed.snippet,
      parsed.hasAttachments,
      JSON.stringify(attachments),
      parsed.size,
      parsed.importance,
      tokens,
      receivedAt,
      parsed.date,
      ids,
      rows.map((r) => r.mailboxId),
      rows.map((r) => r.folderId),
      rows.map((r) => r.threadId),
      rows.map((r) => r.seen ?? false),
      rows.map((r) => r.flagged ?? false),
      rows.map((r) => r.importance ?? null),
      rows.map((r) => JSON.stringify(r.labels ?? [])),
    ],
  );
  await em.query(
    `UPDATE mailboxes SET used_bytes = used_bytes + $3, updated_at = now() WHERE tenant_id = $1 AND id = ANY($2)`,
    [tenantId, mailboxIds, parsed.size],
  );
  return ids;
}
