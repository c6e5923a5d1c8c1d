import MailComposer from 'nodemailer/lib/mail-composer';
import type { ParsedMessage } from '../mail';

export interface SkippedRecipient {
  address: string;
  /** A group address: `mailboxes` of its members were full. */
  group: boolean;
  mailboxes: number;
}

/**
 * A DSN-style notice (text plus an RFC 3464 message/delivery-status part) to the sender of a message that was accepted for
 * some recipients but not stored for others because their mailbox was full. Sent with the null
 * sender so it can never loop. Group members are counted, not named.
 */
export async function overQuotaNotice(input: {
  hostname: string;
  to: string;
  original: ParsedMessage;
  skipped: SkippedRecipient[];
  now: Date;
}): Promise<Buffer> {
  const lines = input.skipped.map((s) =>
    s.group
      ? `  ${s.address}：其中 ${s.mailboxes} 位成员的邮箱已满 (${s.mailboxes} member mailbox(es) full)`
      : `  ${s.address}：邮箱已满 (mailbox full)`,
  );
  const text = [
    '您的邮件已投递给其他收件人，但以下收件人因邮箱已满未能收到：',
    'Your message was delivered to the other recipients, but not to these, whose mailbox is full:',
    '',
    ...lines,
    '',
    `主题 / Subject: ${input.original.subject || '(无主题)'}`,
    '',
    '这是系统自动发送的通知，请勿回复。This is an automatic notice; please do not reply.',
  ].join('\n');
  const status = input.skipped
    .filter((s) => !s.group)
    .map(
      (s) =>
        `Final-Recipient: rfc822; ${s.address}\r\nAction: failed\r\nStatus: 4.2.2\r\nDiagnostic-Code: smtp; 452 4.2.2 Mailbox full\r\n`,
    );
  const composer = new MailComposer({
    from: { name: 'Mail Delivery System', address: `mailer-daemon@${input.hostname}` },
    to: input.to,
    subject: `未送达通知: ${input.original.subject || '(无主题)'}`,
    date: input.now,
    messageId: `<dsn-${input.now.getTime().toString(36)}-${Math.random().toString(36).slice(2, 10)}@${input.hostname}>`,
    inReplyTo: input.original.messageIdGenerated ? undefined : `<${input.original.messageId}>`,
    headers: { 'Auto-Submitted': 'auto-replied' },
    text,
    attachments: [
      {
        contentType: 'message/delivery-status',
        content: `Reporting-MTA: dns; ${input.hostname}\r\nArrival-Date: ${input.now.toUTCString()}\r\n\r\n${status.join('\r\n')}`,
        contentDisposition: 'inline',
        filename: false as unknown as string,
      },
    ],
  });
  return composer.compile().build();
}
