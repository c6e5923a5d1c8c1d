import { createHash } from 'node:crypto';
import type { AddressObject, EmailAddress, HeaderLines, Headers } from 'mailparser';
import { decodeUnlabelledBytes } from './mail-charset';
import { KEPT_HEADER_NAMES, type Importance, type KeptHeaderName, type MailAddress } from './parsed-message';

// Threads need the root and the nearest ancestors; a References header longer than this is abuse.
const MAX_REFERENCES = 100;
const MAX_ADDRESSES_PER_HEADER = 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
// C0/C1 controls and NUL: never useful in a subject or a display name and they break logs and UIs.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function stripControls(value: string): string {
  return value.replace(CONTROL_CHARS, '');
}

/** Unfolded header values by lowercased name, in message order, straight from the raw lines. */
export function rawHeaderValues(lines: HeaderLines | false | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const { key, line } of lines || []) {
    // mailparser keeps raw lines as binary strings; decode like an unlabelled body (UTF-8, else GB18030)
    const text = decodeUnlabelledBytes(Buffer.from(line, 'binary'));
    const colon = text.indexOf(':');
    // NUL never belongs in a header and PostgreSQL text/jsonb refuse it (kept headers are stored).
    const value = (colon >= 0 ? text.slice(colon + 1) : '')
      .replace(/\r?\n[ \t]*/g, ' ')
      .replaceAll('\u0000', '')
      .trim();
    const list = out.get(key) ?? [];
    list.push(value);
    out.set(key, list);
  }
  return out;
}

export function keptHeaders(raw: Map<string, string[]>): Partial<Record<KeptHeaderName, string[]>> {
  const kept: Partial<Record<KeptHeaderName, string[]>> = {};
  for (const name of KEPT_HEADER_NAMES) {
    const values = raw.get(name);
    if (values?.length) kept[name] = [...values];
  }
  return kept;
}

/** `<id>` tokens of a Message-ID style header; falls back to bare whitespace-separated ids. */
export function messageIdsOf(value: string | undefined): string[] {
  if (!value) return [];
  const ids: string[] = [];
  for (const match of value.matchAll(/<([^<>\s]+)>/g)) ids.push(match[1]);
  if (ids.length) return ids;
  return value
    .split(/[\s,]+/)
    .map((id) => id.replace(/^<|>$/g, ''))
    .filter((id) => id.includes('@'));
}

export function normalizeMessageId(raw: Map<string, string[]>, rawBytes: Buffer) {
  const id = messageIdsOf(raw.get('message-id')?.[0])[0];
  if (id) return { messageId: stripControls(id), messageIdGenerated: false };
  // Deterministic so a redelivery of the same bytes threads and deduplicates like the first copy.
  const digest = createHash('sha256').update(rawBytes).digest('hex').slice(0, 32);
  return { messageId: `${digest}@generated.orgmail.invalid`, messageIdGenerated: true };
}

export function threadingOf(raw: Map<string, string[]>) {
  const inReplyTo = messageIdsOf(raw.get('in-reply-to')?.[0])[0] ?? null;
  const all = [...new Set(messageIdsOf((raw.get('references') ?? []).join(' ')))];
  // Keep the thread root and the most recent ancestors when the list is oversized.
  const references =
    all.length > MAX_REFERENCES ? [all[0], ...all.slice(all.length - (MAX_REFERENCES - 1))] : all;
  return { inReplyTo, references };
}

function flatten(entries: EmailAddress[], out: MailAddress[]): void {
  for (const entry of entries) {
    if (out.length >= MAX_ADDRESSES_PER_HEADER) return;
    if (entry.group) {
      flatten(entry.group, out);
      continue;
    }
    const address = stripControls(entry.address ?? '')
      .trim()
      .toLowerCase();
    if (!address) continue;
    out.push({ name: stripControls(entry.name ?? '').trim(), address });
  }
}

export function addressesOf(headers: Headers, key: string): MailAddress[] {
  const value = headers.get(key) as AddressObject | AddressObject[] | undefined;
  if (!value || typeof value !== 'object') return [];
  const out: MailAddress[] = [];
  for (const object of Array.isArray(value) ? value : [value]) {
    if (object && Array.isArray(object.value)) flatten(object.value, out);
  }
  return out;
}

/**
 * Our own Date parsing: mailparser substitutes "now" for an unparseable Date header, which would
 * hide a missing or broken date. Comments such as "(CST)" are dropped first.
 */
export function dateOf(raw: Map<string, string[]>, now: Date) {
  const value = raw.get('date')?.[0];
  if (!value) return { date: null, dateIsSuspicious: false };
  const ms = Date.parse(value.replace(/\([^()]*\)/g, ' ').trim());
  if (Number.isNaN(ms)) return { date: null, dateIsSuspicious: false };
  return { date: new Date(ms), dateIsSuspicious: ms > now.getTime() + DAY_MS };
}

function firstToken(value: string | undefined): string {
  return (value ?? '')
    .split(/[;(\s]/, 1)[0]
    .trim()
    .toLowerCase();
}

export function importanceOf(raw: Map<string, string[]>): Importance {
  const importance = firstToken(raw.get('importance')?.[0]);
  if (importance === 'high' || importance === 'low') return importance;
  if (importance === 'normal') return 'normal';
  // X-Priority: 1 (Highest) .. 5 (Lowest); 3 is normal.
  const xPriority = Number.parseInt(firstToken(raw.get('x-priority')?.[0]), 10);
  if (xPriority === 1 || xPriority === 2) return 'high';
  if (xPriority === 4 || xPriority === 5) return 'low';
  const priority = firstToken(raw.get('priority')?.[0] ?? raw.get('x-msmail-priority')?.[0]);
  if (priority === 'urgent' || priority === 'high') return 'high';
  if (priority === 'non-urgent' || priority === 'low') return 'low';
  return 'normal';
}

/** RFC 3834 §2 / §3.1.8 signals the auto-reply rule must respect to avoid mail loops. */
export function automationOf(raw: Map<string, string[]>) {
  const autoSubmitted = raw.get('auto-submitted') ?? [];
  const isAutoSubmitted = autoSubmitted.some((value) => {
    const token = firstToken(value);
    return token !== '' && token !== 'no';
  });
  const precedence = firstToken(raw.get('precedence')?.[0]);
  const isBulkOrList =
    ['bulk', 'list', 'junk'].includes(precedence) || raw.has('list-id') || raw.has('list-unsubscribe');
  return { isAutoSubmitted, isBulkOrList };
}

export function subjectOf(headers: Headers): string {
  const value = headers.get('subject');
  return typeof value === 'string' ? stripControls(value).trim() : '';
}
