import type { AttachmentStream, Headers, StructuredHeader } from 'mailparser';
import { stripControls } from './message-headers';
import type { ParsedAttachment } from './parsed-message';

const MAX_FILENAME_CHARS = 180;

// Extensions for the fallback name only; a mail's own filename is never second-guessed here.
const EXTENSIONS: Record<string, string> = {
  'application/pdf': 'pdf',
  'application/zip': 'zip',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.ms-powerpoint': 'ppt',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
  'application/json': 'json',
  'application/octet-stream': 'bin',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/bmp': 'bmp',
  'text/plain': 'txt',
  'text/html': 'html',
  'text/csv': 'csv',
  'text/calendar': 'ics',
  'message/rfc822': 'eml',
  'message/delivery-status': 'txt',
};

export function extensionFor(contentType: string): string {
  const type = contentType.toLowerCase().split(';')[0].trim();
  return EXTENSIONS[type] ?? (/^[a-z]+\/([a-z0-9]{1,8})$/.exec(type)?.[1] || 'bin');
}

/**
 * A name safe to offer as a download: no directories (a `../` name must not escape a save
 * folder), no control or bidi-override characters (U+202E makes `exe.pdf` read as `fdp.exe`),
 * no leading dots, bounded length. Returns '' when nothing usable is left.
 */
export function sanitizeFilename(name: string): string {
  // eslint-disable-next-line no-control-regex
  let clean = name.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '');
  clean = clean.split(/[/\\]/).pop() ?? '';
  clean = clean
    .replace(/[<>:"|?*]/g, '_')
    .replace(/^[\s.]+|[\s.]+$/g, '')
    .trim();
  if ([...clean].length > MAX_FILENAME_CHARS) {
    const dot = clean.lastIndexOf('.');
    const ext = dot > 0 && clean.length - dot <= 10 ? clean.slice(dot) : '';
    clean = [...clean].slice(0, MAX_FILENAME_CHARS - ext.length).join('') + ext;
  }
  return clean;
}

function paramOf(headers: Headers | undefined, header: string, param: string): string | undefined {
  const value = headers?.get(header) as StructuredHeader | StructuredHeader[] | undefined;
  const first = Array.isArray(value) ? value[0] : value;
  const found = first && typeof first === 'object' && first.params ? first.params[param] : undefined;
  return typeof found === 'string' && found.trim() ? found : undefined;
}

/**
 * The part's filename. The processed headers are preferred to mailsplit's own `filename`: they
 * went through our charset repair, so a raw-GBK name survives there (see mail-charset.ts).
 */
function filenameOf(stream: AttachmentStream, index: number): string {
  const candidate =
    paramOf(stream.headers, 'content-disposition', 'filename') ??
    paramOf(stream.headers, 'content-type', 'name') ??
    stream.filename ??
    '';
  return sanitizeFilename(candidate) || `attachment-${index}.${extensionFor(stream.contentType)}`;
}

export interface AttachmentLimits {
  maxAttachments: number;
  maxAttachmentBytes: number;
}

/** Reads attachment streams as the parser emits them, within the configured caps. */
export class AttachmentCollector {
  readonly attachments: ParsedAttachment[] = [];
  skipped = 0;
  private bytesKept = 0;

  constructor(
    private readonly limits: AttachmentLimits,
    private readonly warn: (message: string) => void,
  ) {}

  /** Consumes the stream and releases it; resolves once the parser may continue. Never rejects. */
  collect(stream: AttachmentStream): Promise<void> {
    const index = this.attachments.length + this.skipped + 1;
    const keep = this.attachments.length < this.limits.maxAttachments;
    const chunks: Buffer[] = [];
    let buffered = 0;
    let omitted = false;
    return new Promise((resolve) => {
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        if (keep) this.attachments.push(this.toAttachment(stream, index, chunks, buffered, omitted));
        else this.skipped++;
        stream.release?.();
        resolve();
      };
      stream.content.on('data', (chunk: Buffer) => {
        if (!keep || omitted) return; // drained, not kept: the parser still hashes and counts it
        if (this.bytesKept + buffered + chunk.length > this.limits.maxAttachmentBytes) {
          omitted = true;
          chunks.length = 0;
          buffered = 0;
          this.warn(`attachment ${index}: content omitted, attachment byte cap reached`);
          return;
        }
        chunks.push(chunk);
        buffered += chunk.length;
      });
      stream.content.once('end', finish);
      stream.content.once('error', (err: Error) => {
        this.warn(`attachment ${index}: ${err.message}`);
        finish();
      });
    });
  }

  private toAttachment(
    stream: AttachmentStream,
    index: number,
    chunks: Buffer[],
    buffered: number,
    omitted: boolean,
  ): ParsedAttachment {
    this.bytesKept += buffered;
    const content = omitted ? Buffer.alloc(0) : Buffer.concat(chunks, buffered);
    const disposition = (stream.contentDisposition ?? '').toLowerCase();
    // Control characters (NUL above all, which PostgreSQL refuses) never belong in these stored fields.
    const contentId = stream.cid ? stripControls(stream.cid) || null : null;
    return {
      id: `att-${index}`,
      partId: stream.partId,
      filename: filenameOf(stream, index),
      contentType: stripControls(stream.contentType || '').toLowerCase() || 'application/octet-stream',
      size: stream.size ?? content.length,
      contentId,
      // A related part with a Content-ID and no explicit disposition is an embedded image.
      disposition:
        disposition === 'inline' || (!disposition && stream.related && contentId) ? 'inline' : 'attachment',
      checksum: stream.checksum ?? '',
      content,
      contentOmitted: omitted,
      isReferencedInline: false,
    };
  }
}

/** Marks inline parts the HTML shows via `cid:`; only the rest count as real attachments. */
export function markReferencedInline(attachments: ParsedAttachment[], html: string | null): boolean {
  const referenced = new Set<string>();
  if (html) {
    for (const match of html.matchAll(/cid:([^"'\s>)]+)/gi)) {
      const cid = match[1].toLowerCase();
      referenced.add(cid);
      try {
        referenced.add(decodeURIComponent(cid)); // RFC 2392 cid URLs are %-encoded
      } catch {
        // keep the raw form only
      }
    }
  }
  let hasReal = false;
  for (const attachment of attachments) {
    // Outlook marks embedded images `attachment` too, so an image the HTML shows counts as inline
    // whatever its disposition says.
    attachment.isReferencedInline =
      attachment.contentId !== null &&
      (attachment.disposition === 'inline' || attachment.contentType.startsWith('image/')) &&
      referenced.has(attachment.contentId.toLowerCase());
    if (!attachment.isReferencedInline) hasReal = true;
  }
  return hasReal;
}
