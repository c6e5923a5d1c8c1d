import type { Rule } from '../../../shared/rules/rule';
import { KEPT_HEADER_NAMES, type MailAddress, type ParsedMessage } from '../mail';
import type { RuleAddress, RuleMessage } from './rule-conditions';

/**
 * The message summary the rule engine reads, built from what is at hand: the parsed message at
 * delivery, or a stored message row (plus its blob only when a rule looks at the body or at a
 * header the parser does not keep).
 */

const KEPT = new Set<string>(KEPT_HEADER_NAMES);
/** Header blocks larger than this are cut: rules never need more, and it bounds the work. */
const MAX_HEADER_BYTES = 64 * 1024;

/** Header names the rules test that ParsedMessage.headers does not carry. */
export function extraHeaderNames(rules: readonly Rule[]): Set<string> {
  const names = new Set<string>();
  for (const rule of rules)
    for (const c of rule.conditions)
      if (c.field === 'header' && !KEPT.has(c.name.toLowerCase())) names.add(c.name.toLowerCase());
  return names;
}

/** A rule reads the body, or a header only the raw message has: a stored message needs its blob. */
export function needsRawMessage(rules: readonly Rule[]): boolean {
  return (
    extraHeaderNames(rules).size > 0 ||
    rules.some((r) => r.conditions.some((c) => c.field === 'body' || c.field === 'header'))
  );
}

/** Unfolded header fields of a raw message (values undecoded), lowercased names; only `names`. */
export function rawHeaderFields(raw: Buffer, names: Set<string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (names.size === 0) return out;
  let end = raw.indexOf('\r\n\r\n');
  if (end < 0) end = raw.indexOf('\n\n');
  if (end < 0) end = raw.length;
  const block = raw.subarray(0, Math.min(end, MAX_HEADER_BYTES)).toString('utf8');
  const unfolded = block.replace(/\r?\n(?=[ \t])/g, '');
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!names.has(name)) continue;
    (out[name] ??= []).push(line.slice(colon + 1).trim());
  }
  return out;
}

function addr(a: MailAddress): RuleAddress {
  return a.name ? { address: a.address, name: a.name } : { address: a.address };
}

export function summaryFromParsed(
  parsed: ParsedMessage,
  raw: Buffer | null,
  rules: readonly Rule[],
): RuleMessage {
  const headers: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(parsed.headers)) if (values) headers[name] = values;
  if (raw) Object.assign(headers, rawHeaderFields(raw, extraHeaderNames(rules)));
  return {
    from: parsed.from[0] ? addr(parsed.from[0]) : null,
    to: parsed.to.map(addr),
    cc: parsed.cc.map(addr),
    subject: parsed.subject,
    text: parsed.text,
    headers,
    hasAttachments: parsed.hasAttachments,
    size: parsed.size,
    importance: parsed.importance,
  };
}

/** The columns of `messages` a summary is built from. */
export const SUMMARY_COLUMNS = `m.id, m.folder_id, m.blob_sha256, m.subject, m.from_name, m.from_address,
  m.to_addresses, m.cc_addresses, m.snippet, m.has_attachments, m.size, m.importance, m.received_at`;

export interface SummaryRow {
  id: string;
  folder_id: string;
  blob_sha256: string;
  subject: string;
  from_name: string | null;
  from_address: string | null;
  to_addresses: MailAddress[];
  cc_addresses: MailAddress[];
  snippet: string;
  has_attachments: boolean;
  size: string | number;
  importance: 'high' | 'normal' | 'low';
  received_at: Date;
}

/** From a stored row; `parsed` (from the blob) supplies body and headers when rules need them. */
export function summaryFromRow(
  row: SummaryRow,
  parsed: { text: string; headers: Record<string, string[]> } | null,
): RuleMessage {
  return {
    from: row.from_address
      ? row.from_name
        ? { address: row.from_address, name: row.from_name }
        : { address: row.from_address }
      : null,
    to: (row.to_addresses ?? []).map(addr),
    cc: (row.cc_addresses ?? []).map(addr),
    subject: row.subject,
    text: parsed?.text ?? row.snippet,
    headers: parsed?.headers ?? {},
    hasAttachments: row.has_attachments,
    size: Number(row.size),
    importance: row.importance,
  };
}
