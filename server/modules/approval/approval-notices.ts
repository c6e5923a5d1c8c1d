import MailComposer from 'nodemailer/lib/mail-composer';
import type { ApprovalReason } from '../../../shared/approval/mail-approval';

const TRIGGERS: Record<ApprovalReason['trigger'], string> = {
  external: '发往组织外部 (external recipients)',
  keyword: '包含关键词 (keyword)',
  size: '邮件过大 (size)',
  domain: '收件人域名 (recipient domain)',
};

interface NoticeInput {
  to: string;
  subject: string;
  originalMessageId: string;
  now: Date;
}

/** Told to the sender when their message is held: it waits for an approver. */
export function heldNotice(
  input: NoticeInput & { reasons: ApprovalReason[]; expiresAt: Date },
): Promise<Buffer> {
  const text = [
    '您发送的邮件需要审核，审核通过后才会发出：',
    'Your message needs approval; it will be sent once an approver lets it go:',
    '',
    `主题 / Subject: ${input.subject || '(无主题)'}`,
    '',
    '原因 / Why:',
    ...input.reasons.map((r) => `  - ${TRIGGERS[r.trigger]}: ${r.detail}`),
    '',
    `审核期限 / Decision due by: ${input.expiresAt.toISOString()}`,
    '',
    '这是系统自动发送的通知，请勿回复。This is an automatic notice; please do not reply.',
  ].join('\n');
  return compose(input, `邮件待审核: ${input.subject || '(无主题)'}`, text);
}

/** Told to the sender when their message is rejected (by an approver or at the timeout): not sent. */
export function rejectedNotice(input: NoticeInput & { reason: string; timedOut: boolean }): Promise<Buffer> {
  const text = [
    input.timedOut
      ? '您的邮件在审核期限内未获批准，已被退回，未发送给任何收件人：'
      : '您的邮件未通过审核，已被退回，未发送给任何收件人：',
    'Your message was not approved and was not sent to anyone:',
    '',
    `主题 / Subject: ${input.subject || '(无主题)'}`,
    `原因 / Reason: ${input.reason}`,
    '',
    '这是系统自动发送的通知，请勿回复。This is an automatic notice; please do not reply.',
  ].join('\n');
  return compose(input, `邮件审核未通过: ${input.subject || '(无主题)'}`, text);
}

function compose(input: NoticeInput, subject: string, text: string): Promise<Buffer> {
  const domain = input.to.split('@')[1] ?? 'localhost';
  return new MailComposer({
    from: { name: '邮件审核 Mail Approval', address: `postmaster@${domain}` },
    to: input.to,
    subject,
    date: input.now,
    messageId: `<approval-${input.now.getTime().toString(36)}-${Math.random().toString(36).slice(2, 10)}@${domain}>`,
    inReplyTo: `<${input.originalMessageId}>`,
    references: `<${input.originalMessageId}>`,
    headers: { 'Auto-Submitted': 'auto-generated' },
    text,
  })
    .compile()
    .build();
}
