import {
  MailParser,
  type AttachmentStream,
  type HeaderLines,
  type Headers,
  type MessageText,
} from 'mailparser';
import { decodeUnlabelledBytes, installCharsetRepairs } from './mail-charset';
import { AttachmentCollector, markReferencedInline } from './message-attachments';
import {
  addressesOf,
  automationOf,
  dateOf,
  importanceOf,
  keptHeaders,
  normalizeMessageId,
  rawHeaderValues,
  subjectOf,
  threadingOf,
} from './message-headers';
import { clip, htmlToSearchText, snippetOf } from './message-text';
import { MessageParseError, type ParseMessageOptions, type ParsedMessage } from './parsed-message';

export { MessageParseError, MESSAGE_UNPARSEABLE } from './parsed-message';
export type { MailAddress, ParsedAttachment, ParseMessageOptions, ParsedMessage } from './parsed-message';

const DEFAULTS = {
  maxBodyChars: 2_000_000,
  maxAttachments: 200,
  maxAttachmentBytes: 64 * 1024 * 1024,
  timeoutMs: 30_000,
};

// Delivery needs headers, bodies and attachment bytes, nothing more: mailparser's text<->HTML
// conversions, linkification and cid->data: inlining are the slow parts on odd bodies (measured),
// so all of them are off. Text for HTML-only mail comes from message-text.ts instead.
const PARSER_OPTIONS = {
  skipHtmlToText: true,
  skipTextToHtml: true,
  skipTextLinks: true,
  skipImageLinks: true,
  checksumAlgo: 'sha256',
  // delivery-status parts stay readable text, as bounce reports should be
  keepDeliveryStatus: false,
} as const;

interface RawParse {
  headers: Headers;
  headerLines: HeaderLines | false;
  text: string;
  html: string | null;
  collector: AttachmentCollector;
  warnings: string[];
}

/** Drives mailparser's streaming parser. Resolves with whatever was parsed, even after an error. */
function runParser(raw: Buffer, limits: typeof DEFAULTS): Promise<RawParse> {
  const warnings: string[] = [];
  const parser = new MailParser(PARSER_OPTIONS);
  const missingHooks = installCharsetRepairs(parser);
  if (missingHooks.length) warnings.push(`charset repairs unavailable: ${missingHooks.join(', ')}`);
  const collector = new AttachmentCollector(limits, (message) => warnings.push(message));
  const result: RawParse = {
    headers: new Map(),
    headerLines: false,
    text: '',
    html: null,
    collector,
    warnings,
  };

  return new Promise((resolve) => {
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!result.headerLines && parser.headerLines) result.headerLines = parser.headerLines;
      resolve(result);
    };
    // A guard, not a budget: mailparser is bounded on its own, but a stalled stream must not hold
    // an SMTP transaction open forever.
    const timer = setTimeout(() => {
      warnings.push(`parser timed out after ${limits.timeoutMs} ms`);
      parser.destroy();
      settle();
    }, limits.timeoutMs);
    timer.unref();

    parser.on('headers', (headers: Headers) => {
      result.headers = headers;
    });
    parser.on('headerLines', (lines: HeaderLines) => {
      result.headerLines = lines;
    });
    parser.on('error', (err: Error) => {
      // Broken MIME beyond mailparser's own tolerance (too many parts, oversized header block):
      // keep what was parsed so far instead of losing the message.
      warnings.push(`mime: ${err.message}`);
      settle();
    });
    parser.on('end', settle);

    let reading = false;
    const read = (): void => {
      reading = true;
      let data: AttachmentStream | MessageText | null;
      while (!settled && (data = parser.read()) !== null) {
        if (data.type === 'attachment') {
          // mailparser waits for release(); continue reading once the attachment is consumed
          void collector.collect(data).then(read);
          return;
        }
        result.text = data.text ?? '';
        result.html = typeof data.html === 'string' ? data.html : null;
        if (data.textConversionError) warnings.push(`text: ${data.textConversionError.message}`);
      }
      reading = false;
    };
    parser.on('readable', () => {
      if (!reading) read();
    });
    parser.end(raw);
  });
}

function hasHeaderBlock(lines: HeaderLines | false): boolean {
  return !!lines && lines.some(({ line }) => /^[\x21-\x39\x3b-\x7e]+[ \t]*:/.test(line));
}

/** Bytes after the first blank line; the header block is ASCII, so a byte search is enough. */
function rawBody(raw: Buffer): Buffer {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return Buffer.alloc(0);
  if (lf < 0 || (crlf >= 0 && crlf < lf)) return raw.subarray(crlf + 4);
  return raw.subarray(lf + 2);
}

function isUnusable(raw: Buffer): boolean {
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i];
    // anything but whitespace and NUL is something to keep
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x00) return false;
  }
  return true;
}

/**
 * Parses a raw RFC 5322 message into what delivery stores and the rules engine matches on.
 * Best effort: malformed MIME, unknown charsets and broken encodings still give a result (see
 * `warnings`). Only input with nothing in it (empty, whitespace, NUL bytes) throws MessageParseError.
 * `html` is unsanitized: pass it through sanitizeMailHtml before any client sees it.
 */
export async function parseMessage(raw: Buffer, opts: ParseMessageOptions = {}): Promise<ParsedMessage> {
  if (!Buffer.isBuffer(raw)) throw new MessageParseError('Message must be a Buffer');
  if (isUnusable(raw)) throw new MessageParseError('Message is empty');
  const limits = {
    maxBodyChars: opts.maxBodyChars ?? DEFAULTS.maxBodyChars,
    maxAttachments: opts.maxAttachments ?? DEFAULTS.maxAttachments,
    maxAttachmentBytes: opts.maxAttachmentBytes ?? DEFAULTS.maxAttachmentBytes,
    timeoutMs: opts.timeoutMs ?? DEFAULTS.timeoutMs,
  };
  const now = opts.now ?? new Date();

  const parsed = await runParser(raw, limits);
  const { headers, collector, warnings } = parsed;
  const rawHeaders = rawHeaderValues(parsed.headerLines);

  const html = parsed.html === null ? null : clip(parsed.html.replaceAll('\u0000', ''), limits.maxBodyChars);
  let text = clip(parsed.text.replaceAll('\u0000', ''), limits.maxBodyChars);
  if (!text.value.trim() && html) {
    text = { value: htmlToSearchText(html.value, limits.maxBodyChars), clipped: html.clipped };
  }
  if (!hasHeaderBlock(parsed.headerLines)) {
    // Not a mail at all (no "Name: value" line): mailsplit took the first paragraph as headers.
    // Keep every byte as text rather than silently dropping it.
    warnings.push('no header block; whole input kept as text');
    text = clip(decodeUnlabelledBytes(raw).replaceAll('\u0000', ''), limits.maxBodyChars);
  } else if (!text.value.trim() && !html && collector.attachments.length === 0) {
    // Broken multipart (boundary never found): MIME gives nothing, the raw body still has the words.
    const body = rawBody(raw);
    if (body.length) {
      warnings.push('no readable MIME part; raw body kept as text');
      text = clip(
        decodeUnlabelledBytes(body).replaceAll('\u0000', '').replace(/\r\n?/g, '\n'),
        limits.maxBodyChars,
      );
    }
  }
  const hasAttachments = markReferencedInline(collector.attachments, html?.value ?? null);
  if (collector.skipped) warnings.push(`${collector.skipped} attachment(s) past the cap were skipped`);

  return {
    ...normalizeMessageId(rawHeaders, raw),
    ...threadingOf(rawHeaders),
    subject: subjectOf(headers),
    from: addressesOf(headers, 'from'),
    sender: addressesOf(headers, 'sender'),
    replyTo: addressesOf(headers, 'reply-to'),
    to: addressesOf(headers, 'to'),
    cc: addressesOf(headers, 'cc'),
    bcc: addressesOf(headers, 'bcc'),
    ...dateOf(rawHeaders, now),
    text: text.value,
    html: html?.value ?? null,
    bodyTruncated: text.clipped || (html?.clipped ?? false),
    snippet: snippetOf(text.value),
    attachments: collector.attachments,
    skippedAttachments: collector.skipped,
    hasAttachments,
    headers: keptHeaders(rawHeaders),
    importance: importanceOf(rawHeaders),
    ...automationOf(rawHeaders),
    size: raw.length,
    warnings,
  };
}
