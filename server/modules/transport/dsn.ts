import { randomUUID } from 'node:crypto';
import MimeNode from 'nodemailer/lib/mime-node';

export interface FailedRecipient {
  address: string;
  /** The SMTP reply code, or null when the failure was a connection problem / expiry. */
  code: number | null;
  response: string | null;
}

export interface DsnInput {
  /** Who gets the report: the original envelope sender. */
  to: string;
  reportingMta: string;
  arrivalDate: Date;
  now: Date;
  failed: FailedRecipient[];
  /** The original message (its header block is attached). */
  original: Buffer;
  originalMessageId: string | null;
}

/** The enhanced status code of an SMTP reply, or one derived from the reply code. */
export function enhancedStatus(r: FailedRecipient): string {
  const m = /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(r.response ?? '');
  if (m) return m[1]!.replace(/^4/, '5');
  if (r.code && r.code >= 500) return '5.0.0';
  return '5.4.7'; // delivery time expired after temporary failures
}

/**
 * A delivery status notification (RFC 3464): multipart/report with a readable part (Chinese and
 * English), the machine-readable message/delivery-status, and the original headers.
 * Sent with the null sender and Auto-Submitted, so it is never answered or bounced.
 */
export async function buildDsn(input: DsnInput): Promise<Buffer> {
  const senderDomain = input.to.split('@')[1] ?? input.reportingMta;
  const root = new MimeNode('multipart/report; report-type=delivery-status');
  root.setHeader({
    From: `"Mail Delivery System" <mailer-daemon@${senderDomain}>`,
    To: input.to,
    Subject: '退信通知 Undelivered Mail Returned to Sender',
    Date: input.now.toUTCString().replace('GMT', '+0000'),
    'Message-ID': `<dsn-${randomUUID()}@${input.reportingMta}>`,
    'Auto-Submitted': 'auto-replied',
  });
  if (input.originalMessageId) {
    root.setHeader('In-Reply-To', `<${input.originalMessageId}>`);
    root.setHeader('References', `<${input.originalMessageId}>`);
  }

  const lines = input.failed.map(
    (f) => `  <${f.address}>: ${f.response ?? 'no answer from the receiving server'}`,
  );
  root
    .createChild('text/plain; charset=utf-8')
    .setContent(
      [
        '您的邮件未能送达以下收件人：',
        '',
        ...lines,
        '',
        'Your message could not be delivered to the recipients above.',
        'The original message headers are attached.',
        '',
      ].join('\r\n'),
    );

  const fields = [
    `Reporting-MTA: dns; ${input.reportingMta}`,
    `Arrival-Date: ${rfc822Date(input.arrivalDate)}`,
    '',
    ...input.failed.flatMap((f) => [
      `Final-Recipient: rfc822; ${f.address}`,
      'Action: failed',
      `Status: ${enhancedStatus(f)}`,
      ...(f.response ? [`Diagnostic-Code: smtp; ${ascii(f.response)}`] : []),
      `Last-Attempt-Date: ${rfc822Date(input.now)}`,
      '',
    ]),
  ];
  root
    .createChild('message/delivery-status')
    .setHeader('Content-Transfer-Encoding', '7bit')
    .setContent(fields.join('\r\n'));

  root
    .createChild('text/rfc822-headers')
    .setHeader('Content-Transfer-Encoding', '8bit')
    .setContent(headerBlock(input.original));
  return root.build();
}

function headerBlock(raw: Buffer): Buffer {
  const end = raw.indexOf('\r\n\r\n');
  const alt = raw.indexOf('\n\n');
  const cut = end >= 0 ? end + 2 : alt >= 0 ? alt + 1 : Math.min(raw.length, 64 * 1024);
  return raw.subarray(0, Math.min(cut, 64 * 1024));
}

function ascii(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, 900);
}

function rfc822Date(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
}
