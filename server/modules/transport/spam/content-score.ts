import type { ParsedMessage } from '../../mail';
import type { AuthenticationOutcome } from '../mail-authentication';

/** One well-known signal that fired, SpamAssassin-style: a stable name and its weight. */
export interface SpamSignal {
  name: string;
  score: number;
}

export const EXECUTABLE_EXTENSIONS = new Set([
  'exe',
  'scr',
  'js',
  'jse',
  'vbs',
  'vbe',
  'bat',
  'cmd',
  'com',
  'pif',
  'wsf',
  'hta',
  'msi',
  'ps1',
  'lnk',
  'jar',
]);

const MAX_HTML_SCAN = 300_000;
const MAX_ANCHORS = 100;

/**
 * A small, explainable content score from signals any mail admin knows. Cheap by design: it only
 * looks at what the parser already produced (and the first part of the raw bytes for part types).
 */
export function contentSignals(
  parsed: ParsedMessage,
  raw: Buffer,
  opts: { envelopeRecipients: readonly string[]; auth: AuthenticationOutcome | null },
): SpamSignal[] {
  const signals: SpamSignal[] = [];
  const add = (name: string, score: number) => signals.push({ name, score });

  if (!parsed.date) add('MISSING_DATE', 1);
  else if (parsed.dateIsSuspicious) add('DATE_IN_FUTURE', 1.5);
  if (parsed.messageIdGenerated) add('MISSING_MID', 1.5);

  const fromDomain = domainOf(parsed.from[0]?.address);
  const replyDomain = domainOf(parsed.replyTo[0]?.address);
  if (fromDomain && replyDomain && orgDomain(fromDomain) !== orgDomain(replyDomain))
    add('FREEMAIL_REPLYTO_MISMATCH', 1);
  if (!fromDomain) add('MISSING_FROM', 1.5);

  const subject = parsed.subject ?? '';
  const letters = subject.replace(/[^A-Za-z]/g, '');
  if (letters.length >= 10 && letters === letters.toUpperCase()) add('SUBJ_ALL_CAPS', 1.5);
  if (/[!！]{3,}/.test(subject) || (subject.match(/[!！]/g)?.length ?? 0) >= 5) add('SUBJ_EXCESS_EXCLAIM', 1);

  const listed = new Set([...parsed.to, ...parsed.cc].map((a) => a.address.toLowerCase()));
  const hidden = opts.envelopeRecipients.filter((r) => !listed.has(r.toLowerCase())).length;
  if (hidden >= 10) add('MANY_HIDDEN_RCPTS', 2);
  else if (hidden > 0 && listed.size === 0) add('UNDISCLOSED_RCPTS', 0.5);

  if (parsed.html) {
    if (!hasTextPlainPart(raw)) add('HTML_ONLY', 0.5);
    if (linkTextMismatch(parsed.html)) add('HTML_LINK_MISMATCH', 2.5);
  }

  const executable = parsed.attachments.find((a) => isExecutable(a.filename) || zipHoldsExecutable(a));
  if (executable) add('EXECUTABLE_ATTACHMENT', 5);

  const auth = opts.auth;
  if (auth) {
    if (auth.spf === 'fail') add('SPF_FAIL', 2);
    else if (auth.spf === 'softfail') add('SPF_SOFTFAIL', 1);
    if (auth.dkim === 'fail') add('DKIM_FAIL', 2);
    if (auth.dmarc === 'fail' && auth.dmarcPolicy === 'none') add('DMARC_FAIL', 1.5);
  }
  return signals;
}

function domainOf(address: string | undefined): string | null {
  if (!address) return null;
  const at = address.lastIndexOf('@');
  return at < 0 ? null : address.slice(at + 1).toLowerCase();
}

/** A rough organizational domain (last two labels, three under common second-level suffixes). */
export function orgDomain(domain: string): string {
  const labels = domain.toLowerCase().replace(/\.$/, '').split('.');
  const n = labels.length >= 3 && /^(com|net|org|gov|edu|ac|co)$/.test(labels[labels.length - 2]!) ? 3 : 2;
  return labels.slice(-n).join('.');
}

function hasTextPlainPart(raw: Buffer): boolean {
  const head = raw.subarray(0, Math.min(raw.length, MAX_HTML_SCAN)).toString('latin1');
  return /content-type:\s*text\/plain/i.test(head) || !/content-type:/i.test(head);
}

/** An anchor whose visible text is a URL or domain pointing somewhere other than its href. */
export function linkTextMismatch(html: string): boolean {
  const source = html.length > MAX_HTML_SCAN ? html.slice(0, MAX_HTML_SCAN) : html;
  const anchor = /<a\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))[^>]*>([\s\S]{0,300}?)<\/a>/gi;
  let m: RegExpExecArray | null;
  for (let i = 0; i < MAX_ANCHORS && (m = anchor.exec(source)); i++) {
    const href = (m[1] ?? m[2] ?? m[3] ?? '').trim();
    const text = m[4]!
      .replace(/<[^>]*>/g, '')
      .replace(/&nbsp;/g, ' ')
      .trim();
    const hrefHost = hostOf(href);
    const textHost = /^(?:https?:\/\/|www\.)|^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:\/\S*)?$/i.test(text)
      ? hostOf(/^https?:\/\//i.test(text) ? text : `http://${text}`)
      : null;
    if (hrefHost && textHost && orgDomain(hrefHost) !== orgDomain(textHost)) return true;
  }
  return false;
}

function hostOf(url: string): string | null {
  if (!/^https?:\/\//i.test(url)) return null;
  try {
    return new URL(url).hostname.toLowerCase() || null;
  } catch {
    return null;
  }
}

function isExecutable(filename: string): boolean {
  const dot = filename.lastIndexOf('.');
  return (
    dot >= 0 &&
    EXECUTABLE_EXTENSIONS.has(
      filename
        .slice(dot + 1)
        .toLowerCase()
        .trim(),
    )
  );
}

/** Reads the names in a zip's local file headers (no decompression). */
function zipHoldsExecutable(a: { filename: string; contentType: string; content: Buffer }): boolean {
  const isZip = /\.zip$/i.test(a.filename) || /zip/i.test(a.contentType);
  const buf = a.content;
  if (!isZip || buf.length < 30 || buf.readUInt32LE(0) !== 0x04034b50) return false;
  let offset = 0;
  for (let entries = 0; entries < 1000 && offset + 30 <= buf.length; entries++) {
    if (buf.readUInt32LE(offset) !== 0x04034b50) break;
    const flags = buf.readUInt16LE(offset + 6);
    const compressed = buf.readUInt32LE(offset + 18);
    const nameLength = buf.readUInt16LE(offset + 26);
    const extraLength = buf.readUInt16LE(offset + 28);
    const name = buf.toString('utf8', offset + 30, offset + 30 + nameLength);
    if (isExecutable(name)) return true;
    // With a data descriptor the size is not in the local header: stop rather than guess.
    if (flags & 0x08) break;
    offset += 30 + nameLength + extraLength + compressed;
  }
  return false;
}
