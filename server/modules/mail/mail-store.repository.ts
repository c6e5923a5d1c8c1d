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

/** Several blobs in one statement (content keys in input order); a batch's duplicates are stored once. */
export async function putBlobs(em: EntityManager, tenantId: string, raws: Buffer[]): Promise<string[]> {
  const keys = raws.map((raw) => createHash('sha256').update(raw).digest('hex'));
  // Sorted by key: two batches holding the same new blob wait on each other in one order.
  const unique = [...new Map(keys.map((k, i) => [k, raws[i]!])).entries()].sort(([a], [b]) =>
    a < b ? -1 : 1,
  );
  await em.query(
    `INSERT INTO mail_blobs (tenant_id, sha256, size, content)
     SELECT $1, b.sha256, b.size, b.content FROM unnest($2::text[], $3::int[], $4::bytea[]) AS b(sha256, size, content)
     ON CONFLICT DO NOTHING`,
    [tenantId, unique.map(([k]) => k), unique.map(([, r]) => r.length), unique.map(([, r]) => r)],
  );
  return keys;
}

/**
 * Every system folder of these mailboxes, by role (one statement; a second pair only for a mailbox
 * that has none yet, which then gets them all).
 */
export async function systemFolderMap(
  em: EntityManager,
  tenantId: string,
  mailboxIds: string[],
): Promise<Map<string, Map<FolderRole, string>>> {
  const read = async () => {
    const rows: { mailbox_id: string; role: FolderRole; id: string }[] = await em.query(
      `SELECT mailbox_id, role, id FROM folders WHERE tenant_id = $1 AND mailbox_id = ANY($2) AND role IS NOT NULL`,
      [tenantId, mailboxIds],
    );
    const out = new Map<string, Map<FolderRole, string>>();
    for (const r of rows) {
      let roles = out.get(r.mailbox_id);
      if (!roles) out.set(r.mailbox_id, (roles = new Map()));
      roles.set(r.role, r.id);
    }
    return out;
  };
  const found = await read();
  const missing = mailboxIds.filter((id) => !found.get(id)?.has('inbox'));
  if (missing.length === 0) return found;
  await createSystemFolders(em, tenantId, missing);
  return read();
}

async function createSystemFolders(em: EntityManager, tenantId: string, mailboxIds: string[]): Promise<void> {
  await em.query(
    `INSERT INTO folders (tenant_id, mailbox_id, name, role)
     SELECT $1, m.id, f.name, f.role FROM unnest($2::uuid[]) AS m(id)
      CROSS JOIN unnest($3::text[], $4::text[]) AS f(name, role)
     ON CONFLICT DO NOTHING`,
    [tenantId, mailboxIds, SYSTEM_FOLDERS.map((f) => f.name), SYSTEM_FOLDERS.map((f) => f.role)],
  );
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
  if (missing.length > 0) await createSystemFolders(em, tenantId, missing);
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

/**
 * `threadIds` for several messages at once (one statement for all that reply to or reference
 * something); the result is in input order.
 */
export async function threadIdsMany(
  em: EntityManager,
  tenantId: string,
  items: { mailboxIds: string[]; parsed: Pick<ParsedMessage, 'inReplyTo' | 'references' | 'messageId'> }[],
): Promise<Map<string, string>[]> {
  const pairs: { item: number; mailboxId: string; ref: string }[] = [];
  items.forEach((it, item) => {
    const refs = new Set([it.parsed.inReplyTo, ...it.parsed.references].filter((r): r is string => !!r));
    for (const ref of refs) for (const mailboxId of it.mailboxIds) pairs.push({ item, mailboxId, ref });
  });
  const found = items.map(() => new Map<string, string>());
  if (pairs.length > 0) {
    const rows: { item: number; mailbox_id: string; thread_id: string }[] = await em.query(
      `SELECT DISTINCT ON (p.item, p.mailbox_id) p.item, p.mailbox_id, m.thread_id
         FROM unnest($2::int[], $3::uuid[], $4::text[]) AS p(item, mailbox_id, ref)
         JOIN messages m ON m.tenant_id = $1 AND m.mailbox_id = p.mailbox_id AND m.message_id = p.ref
        ORDER BY p.item, p.mailbox_id, m.received_at`,
      [tenantId, pairs.map((p) => p.item), pairs.map((p) => p.mailboxId), pairs.map((p) => p.ref)],
    );
    for (const r of rows) found[r.item]!.set(r.mailbox_id, r.thread_id);
  }
  // A reply stored in the same batch as the message it answers joins that message's thread.
  const earlier = new Map<string, string>();
  items.forEach((it, i) => {
    const refs = [it.parsed.inReplyTo, ...it.parsed.references].filter((r): r is string => !!r);
    for (const id of it.mailboxIds) {
      if (found[i]!.has(id)) continue;
      const inBatch = refs.map((r) => earlier.get(`${id} ${r}`)).find((t) => t !== undefined);
      found[i]!.set(id, inBatch ?? randomUUID());
    }
    const own = it.parsed.messageId;
    if (own) for (const id of it.mailboxIds) earlier.set(`${id} ${own}`, found[i]!.get(id)!);
  });
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

/** A message stored for several mailboxes at once: its blob, its parsed summary, one row per mailbox. */
export interface NewMessage {
  blobSha256: string;
  parsed: ParsedMessage;
  rows: NewMessageRow[];
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
  const [ids] = await insertMessageBatch(em, tenantId, [{ blobSha256, parsed, rows }], receivedAt);
  return ids!;
}

/**
 * Several messages of one organization in three statements, whatever their number: lock the
 * mailboxes, insert every row, grow each mailbox's usage. Returns the new ids per message, in order.
 * One lock order for every writer: the mailboxes (by id) first, then what the insert touches (the
 * folder counters its trigger updates), so concurrent deliveries to overlapping sets never deadlock.
 */
export async function insertMessageBatch(
  em: EntityManager,
  tenantId: string,
  messages: NewMessage[],
  receivedAt: Date,
): Promise<string[][]> {
  const ids = messages.map((m) => m.rows.map(() => randomUUID()));
  const growth = new Map<string, number>();
  for (const m of messages)
    for (const r of m.rows) growth.set(r.mailboxId, (growth.get(r.mailboxId) ?? 0) + m.parsed.size);
  if (growth.size === 0) return ids;
  const mailboxIds = [...growth.keys()].sort();
  await em.query(`SELECT 1 FROM mailboxes WHERE tenant_id = $1 AND id = ANY($2) ORDER BY id FOR UPDATE`, [
    tenantId,
    mailboxIds,
  ]);

  // Message-level values once per message; rows point at their message by ordinal.
  const summaries = messages.map((m) => messageSummary(m.parsed));
  const rowOf = messages.flatMap((m, i) => m.rows.map((r, j) => ({ r, msg: i + 1, id: ids[i]![j]! })));
  await em.query(
    `INSERT INTO messages (tenant_id, id, mailbox_id, folder_id, blob_sha256, message_id, thread_id, in_reply_to, subject,
                           from_name, from_address, to_addresses, cc_addresses, snippet, has_attachments, attachments,
                           size, importance, search_tokens, received_at, sent_at, is_seen, is_flagged, labels)
     SELECT $1, r.id, r.mailbox_id, r.folder_id, m.blob_sha256, m.message_id, r.thread_id, m.in_reply_to, m.subject,
            m.from_name, m.from_address, m.to_addresses, m.cc_addresses, m.snippet, m.has_attachments, m.attachments,
            m.size, coalesce(r.importance, m.importance), string_to_array(m.tokens, ' '), $2, m.sent_at, r.seen,
            r.flagged, ARRAY(SELECT jsonb_array_elements_text(r.labels))
       FROM unnest($3::uuid[], $4::int[], $5::uuid[], $6::uuid[], $7::uuid[], $8::boolean[], $9::boolean[],
                   $10::text[], $11::jsonb[])
         AS r(id, msg, mailbox_id, folder_id, thread_id, seen, flagged, importance, labels)
       JOIN unnest($12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::jsonb[],
                   $19::jsonb[], $20::text[], $21::boolean[], $22::jsonb[], $23::bigint[], $24::text[], $25::text[],
                   $26::timestamptz[])
            WITH ORDINALITY
         AS m(blob_sha256, message_id, in_reply_to, subject, from_name, from_address, to_addresses, cc_addresses,
              snippet, has_attachments, attachments, size, importance, tokens, sent_at, ord)
         ON m.ord = r.msg`,
    [
      tenantId,
      receivedAt,
      rowOf.map((x) => x.id),
      rowOf.map((x) => x.msg),
      rowOf.map((x) => x.r.mailboxId),
      rowOf.map((x) => x.r.folderId),
      rowOf.map((x) => x.r.threadId),
      rowOf.map((x) => x.r.seen ?? false),
      rowOf.map((x) => x.r.flagged ?? false),
      rowOf.map((x) => x.r.importance ?? null),
      rowOf.map((x) => JSON.stringify(x.r.labels ?? [])),
      messages.map((m) => m.blobSha256),
      messages.map((m) => m.parsed.messageId),
      messages.map((m) => m.parsed.inReplyTo),
      messages.map((m) => m.parsed.subject),
      summaries.map((s) => s.fromName),
      summaries.map((s) => s.fromAddress),
      messages.map((m) => JSON.stringify(m.parsed.to)),
      messages.map((m) => JSON.stringify(m.parsed.cc)),
      messages.map((m) => m.parsed.snippet),
      messages.map((m) => m.parsed.hasAttachments),
      summaries.map((s) => JSON.stringify(s.attachments)),
      messages.map((m) => m.parsed.size),
      messages.map((m) => m.parsed.importance),
      summaries.map((s) => s.tokens.join(' ')),
      messages.map((m) => m.parsed.date),
    ],
  );
  await em.query(
    `UPDATE mailboxes b SET used_bytes = b.used_bytes + g.bytes, updated_at = now()
       FROM unnest($2::uuid[], $3::bigint[]) AS g(id, bytes)
      WHERE b.tenant_id = $1 AND b.id = g.id`,
    [tenantId, mailboxIds, mailboxIds.map((id) => growth.get(id)!)],
  );
  return ids;
}

function messageSummary(parsed: ParsedMessage) {
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
  // Tokens never contain spaces (letters, digits and address characters only): joined for the wire.
  const tokens = documentTokens(
    parsed.subject,
    ...parsed.from.map((a) => `${a.name} ${a.address}`),
    ...parsed.to.map((a) => `${a.name} ${a.address}`),
    ...parsed.cc.map((a) => `${a.name} ${a.address}`),
    ...parsed.attachments.map((a) => a.filename),
    parsed.text,
  );
  return { fromName: from?.name || null, fromAddress: from?.address || null, attachments, tokens };
}
