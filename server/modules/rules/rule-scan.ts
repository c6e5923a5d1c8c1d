import type { EntityManager } from 'typeorm';
import type { Rule } from '../../../shared/rules/rule';
import { parseMessage } from '../mail';
import {
  needsRawMessage,
  rawHeaderFields,
  SUMMARY_COLUMNS,
  summaryFromRow,
  type SummaryRow,
} from './message-summary';
import { canonicalAddress, groupAddressesOfMailbox, senderFacts } from './rule-context.repository';
import { evaluateRules } from './rule-engine';

/**
 * Walks stored messages of one mailbox newest first in keyset batches and evaluates one rule on
 * each: shared by the preview and by "apply to existing mail". Blobs are read and parsed only when
 * the rule looks at the body or at headers, and then in bounded numbers.
 */

export interface ScanOptions {
  /** Only this folder; by default every folder except Sent, Drafts, Scheduled, Trash and Junk. */
  folderId?: string;
  since?: Date;
  /** Stop after examining this many messages. */
  cap: number;
  batchSize?: number;
  /** Called per batch with the rows that matched and how many were examined so far. */
  onBatch(matched: SummaryRow[], examined: number): Promise<boolean | void>;
}

const EXCLUDED_ROLES = `('sent', 'drafts', 'scheduled', 'trash', 'junk')`;
/** Parse caps for stored blobs: enough text for rules (the engine reads 32 KiB), no attachment bytes. */
const PARSE_OPTIONS = { maxBodyChars: 64 * 1024, maxAttachmentBytes: 0, maxAttachments: 50, timeoutMs: 5000 };

export async function scanMailbox(
  em: EntityManager,
  tenantId: string,
  mailboxId: string,
  rule: Rule,
  options: ScanOptions,
): Promise<{ examined: number; capped: boolean }> {
  const needsRaw = needsRawMessage([rule]);
  const fields = new Set(rule.conditions.map((c) => c.field));
  const myGroups = fields.has('sent_to_my_group')
    ? await groupAddressesOfMailbox(em, tenantId, mailboxId)
    : [];
  const batchSize = options.batchSize ?? (needsRaw ? 100 : 500);
  let cursor: { receivedAt: Date; id: string } | null = null;
  let examined = 0;
  for (;;) {
    const limit = Math.min(batchSize, options.cap - examined);
    if (limit <= 0) break;
    const rows: SummaryRow[] = await em.query(
      `SELECT ${SUMMARY_COLUMNS} FROM messages m
         JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id
        WHERE m.tenant_id = $1 AND m.mailbox_id = $2
          AND ($3::uuid IS NULL AND (f.role IS NULL OR f.role NOT IN ${EXCLUDED_ROLES}) OR m.folder_id = $3::uuid)
          AND ($4::timestamptz IS NULL OR m.received_at >= $4)
          AND ($5::timestamptz IS NULL OR (m.received_at, m.id) < ($5, $6::uuid))
        ORDER BY m.received_at DESC, m.id DESC
        LIMIT $7`,
      [
        tenantId,
        mailboxId,
        options.folderId ?? null,
        options.since ?? null,
        cursor?.receivedAt ?? null,
        cursor?.id ?? null,
        limit,
      ],
    );
    if (rows.length === 0) break;
    examined += rows.length;
    const last = rows[rows.length - 1]!;
    cursor = { receivedAt: last.received_at, id: last.id };

    const senders =
      fields.has('sender_scope') || fields.has('sender_department')
        ? await senderFacts(em, tenantId, rows.map((r) => r.from_address ?? '').filter(Boolean))
        : new Map();
    const blobs = needsRaw ? await readBlobs(em, tenantId, rows) : new Map<string, Buffer>();
    const matched: SummaryRow[] = [];
    for (const row of rows) {
      let parsed: { text: string; headers: Record<string, string[]> } | null = null;
      const raw = blobs.get(row.blob_sha256);
      if (raw) {
        const p = await parseMessage(raw, PARSE_OPTIONS).catch(() => null);
        const headers: Record<string, string[]> = {};
        if (p) for (const [k, v] of Object.entries(p.headers)) if (v) headers[k] = v;
        const names = new Set(
          rule.conditions.flatMap((c) => (c.field === 'header' ? [c.name.toLowerCase()] : [])),
        );
        Object.assign(headers, rawHeaderFields(raw, names));
        parsed = { text: p?.text ?? row.snippet, headers };
      }
      const facts = row.from_address ? senders.get(canonicalAddress(row.from_address)) : undefined;
      const result = evaluateRules(summaryFromRow(row, parsed), [rule], {
        isInternalSender: !!facts?.known,
        senderDepartmentPaths: facts?.departmentPaths ?? [],
        myGroupAddresses: myGroups,
      });
      if (result.errors.length > 0) throw new Error(result.errors[0]!.message);
      if (result.matchedRuleIds.length > 0) matched.push(row);
    }
    const stop = await options.onBatch(matched, examined);
    if (stop === false || rows.length < limit) break;
  }
  return {
    examined,
    capped: examined >= options.cap && (await hasMore(em, tenantId, mailboxId, options, cursor)),
  };
}

async function readBlobs(
  em: EntityManager,
  tenantId: string,
  rows: SummaryRow[],
): Promise<Map<string, Buffer>> {
  const shas = [...new Set(rows.map((r) => r.blob_sha256))];
  const blobs: { sha256: string; content: Buffer }[] = await em.query(
    `SELECT sha256, content FROM mail_blobs WHERE tenant_id = $1 AND sha256 = ANY ($2::text[])`,
    [tenantId, shas],
  );
  return new Map(blobs.map((b) => [b.sha256, b.content]));
}

async function hasMore(
  em: EntityManager,
  tenantId: string,
  mailboxId: string,
  options: ScanOptions,
  cursor: { receivedAt: Date; id: string } | null,
): Promise<boolean> {
  if (!cursor) return false;
  const [row] = await em.query(
    `SELECT 1 FROM messages m JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id
      WHERE m.tenant_id = $1 AND m.mailbox_id = $2
        AND ($3::uuid IS NULL AND (f.role IS NULL OR f.role NOT IN ${EXCLUDED_ROLES}) OR m.folder_id = $3::uuid)
        AND ($4::timestamptz IS NULL OR m.received_at >= $4)
        AND (m.received_at, m.id) < ($5, $6::uuid)
      LIMIT 1`,
    [tenantId, mailboxId, options.folderId ?? null, options.since ?? null, cursor.receivedAt, cursor.id],
  );
  return !!row;
}

/** How many messages a scan without `since` would walk (for a progress total). */
export async function countScope(
  em: EntityManager,
  tenantId: string,
  mailboxId: string,
  folderId?: string,
): Promise<number> {
  const [row] = await em.query(
    `SELECT count(*)::int AS n FROM messages m JOIN folders f ON f.tenant_id = m.tenant_id AND f.id = m.folder_id
      WHERE m.tenant_id = $1 AND m.mailbox_id = $2
        AND ($3::uuid IS NULL AND (f.role IS NULL OR f.role NOT IN ${EXCLUDED_ROLES}) OR m.folder_id = $3::uuid)`,
    [tenantId, mailboxId, folderId ?? null],
  );
  return row.n;
}
