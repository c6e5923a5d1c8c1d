import MailComposer from 'nodemailer/lib/mail-composer';

export interface MimeAddress {
  name?: string;
  address: string;
}

export interface MimeAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface MimeSpec {
  from: MimeAddress;
  to: MimeAddress[];
  cc: MimeAddress[];
  /** Written into the sender's own copy only; `wireCopy` removes it before anything leaves. */
  bcc: MimeAddress[];
  subject: string;
  text?: string | null;
  /** Already sanitized: what goes out is never the raw HTML the user typed. */
  html?: string | null;
  attachments: MimeAttachment[];
  /** With angle brackets, on our domain. */
  messageId: string;
  date: Date;
  inReplyTo?: string | null;
  references?: string[];
  importance: 'high' | 'normal' | 'low';
}

/**
 * The RFC 5322 bytes of a message we compose, built by nodemailer's MailComposer: UTF-8 bodies,
 * RFC 2047 encoded names and subject (Chinese display names), RFC 2231 attachment filenames.
 * The Bcc header is kept (this is the sender's copy); `wireCopy` strips it.
 */
export async function buildMime(spec: MimeSpec): Promise<Buffer> {
  const node = new MailComposer({
    from: spec.from,
    to: spec.to,
    cc: spec.cc,
    bcc: spec.bcc,
    subject: spec.subject,
    text: spec.text ?? (spec.html ? undefined : ''),
    html: spec.html ?? undefined,
    messageId: spec.messageId,
    date: spec.date,
    inReplyTo: spec.inReplyTo ?? undefined,
    references: spec.references && spec.references.length > 0 ? spec.references : undefined,
    priority: spec.importance,
    textEncoding: 'base64',
    attachments: spec.attachments.map((a) => ({
      filename: a.filename,
      content: a.content,
      contentType: a.contentType,
      contentDisposition: 'attachment' as const,
    })),
  }).compile();
  node.keepBcc = spec.bcc.length > 0;
  return node.build();
}

/** Angle-bracketed Message-ID on the sender's domain. */
export function newMessageId(id: string, domain: string): string {
  return `<${id}@${domain}>`;
}

/**
 * The copy that leaves: the header block without Bcc (folded continuation lines included) and,
 * when given, with the Date replaced by the actual send time (a scheduled message is dated when it
 * goes out, not when it was written). The body bytes are untouched.
 */
export function wireCopy(raw: Buffer, date?: Date): Buffer {
  let end = raw.indexOf('\r\n\r\n');
  let sep = 4;
  if (end < 0) {
    end = raw.indexOf('\n\n');
    sep = 2;
  }
  if (end < 0) return raw;
  const head = raw.subarray(0, end).toString('latin1');
  const lines = head.split(/\r?\n/);
  const out: string[] = [];
  let skipping = false;
  for (const line of lines) {
    const continuation = /^[ \t]/.test(line);
    if (continuation) {
      if (!skipping) out.push(line);
      continue;
    }
    const name = line.slice(0, line.indexOf(':')).trim().toLowerCase();
    skipping = name === 'bcc' || (date !== undefined && name === 'date');
    if (name === 'date' && date) out.push(`Date: ${date.toUTCString().replace('GMT', '+0000')}`);
    if (!skipping) out.push(line);
  }
  return Buffer.concat([
    Buffer.from(out.join('\r\n'), 'latin1'),
    Buffer.from('\r\n\r\n'),
    raw.subarray(end + sep),
  ]);
}

const REPLY_PREFIX = /^\s*(re|回复|答复)\s*[:：]/i;
const FORWARD_PREFIX = /^\s*(fwd?|转发)\s*[:：]/i;

/** "Re: " unless the subject already starts with a reply prefix ("Re:", "回复:", "答复："). */
export function replySubject(subject: string): string {
  return REPLY_PREFIX.test(subject) ? subject.trim() : `Re: ${subject.trim()}`;
}

/** "Fwd: " unless it already starts with a forward prefix ("Fw:", "Fwd:", "转发:"). */
export function forwardSubject(subject: string): string {
  return FORWARD_PREFIX.test(subject) ? subject.trim() : `Fwd: ${subject.trim()}`;
}
