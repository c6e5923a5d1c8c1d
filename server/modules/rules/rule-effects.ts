import { randomUUID } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { ParsedMessage } from '../mail';
import type { OutgoingMessage, SubmitResult } from '../transport';

/**
 * Rule side effects that leave the mailbox: a forward (the original attached as message/rfc822)
 * and an auto-reply (RFC 3834). Both are composed here and sent through the ordinary outgoing
 * path as kind 'auto', so the external-sending policy and daily limits still apply.
 */

export interface RuleMailSender {
  submit(msg: OutgoingMessage): Promise<SubmitResult>;
}

export interface OwnMailbox {
  mailboxId: string;
  memberId: string | null;
  address: string;
  displayName: string | null;
}

function autoSubmitted(parsed: ParsedMessage): string {
  return (parsed.headers['auto-submitted']?.[0] ?? '').trim().toLowerCase();
}

/** A forward of a forward (or of an auto-reply) is not forwarded again: it breaks forwarding loops. */
export function mayForward(parsed: ParsedMessage): boolean {
  const value = autoSubmitted(parsed);
  return !value.startsWith('auto-forwarded') && !value.startsWith('auto-replied');
}

/**
 * RFC 3834 §2: never answer automatic mail, lists or bulk mail, the null sender, or ourselves.
 * Returns the address to answer, or null.
 */
export function autoReplyTarget(
  parsed: ParsedMessage,
  envelopeFrom: string | null,
  own: OwnMailbox,
): string | null {
  if (parsed.isAutoSubmitted || parsed.isBulkOrList) return null;
  if (envelopeFrom === '') return null;
  const target = (parsed.replyTo[0] ?? parsed.from[0])?.address?.toLowerCase();
  if (!target || target === own.address.toLowerCase()) return null;
  if (/^(mailer-daemon|postmaster|no-?reply)@/i.test(target)) return null;
  return target;
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

function fromOf(own: OwnMailbox) {
  return own.displayName ? { name: own.displayName, address: own.address } : own.address;
}

export async function composeForward(
  own: OwnMailbox,
  to: string,
  parsed: ParsedMessage,
  original: Buffer,
  now: Date,
): Promise<Buffer> {
  return new MailComposer({
    from: fromOf(own),
    to,
    subject: `Fwd: ${parsed.subject}`.slice(0, 998),
    text: `---------- 转发的邮件 / Forwarded message ----------\n发件人 From: ${parsed.from[0]?.address ?? ''}\n主题 Subject: ${parsed.subject}\n`,
    messageId: `<${randomUUID()}@${domainOf(own.address)}>`,
    date: now,
    headers: { 'Auto-Submitted': 'auto-forwarded' },
    textEncoding: 'base64',
    attachments: [{ filename: 'forwarded.eml', content: original, contentType: 'message/rfc822' }],
  })
    .compile()
    .build();
}

export async function composeAutoReply(
  own: OwnMailbox,
  to: string,
  parsed: ParsedMessage,
  template: { subject?: string; body: string },
  now: Date,
): Promise<Buffer> {
  const original = `<${parsed.messageId}>`;
  return new MailComposer({
    from: fromOf(own),
    to,
    subject: template.subject ?? `自动回复 / Auto-reply: ${parsed.subject}`.slice(0, 998),
    text: template.body,
    messageId: `<${randomUUID()}@${domainOf(own.address)}>`,
    date: now,
    inReplyTo: original,
    references: [...parsed.references.map((r) => `<${r}>`), original],
    headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' },
    textEncoding: 'base64',
  })
    .compile()
    .build();
}
