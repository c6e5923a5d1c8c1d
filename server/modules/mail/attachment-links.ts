import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../platform/clock';

export interface AttachmentLinkClaims {
  tenantId: string;
  mailboxId: string;
  messageId: string;
  attachmentId: string;
}

const TTL_SECONDS = 60 * 60;

/**
 * Short-lived signed links for the images a mail shows through `cid:`: an <img> in a sandboxed
 * frame cannot send a bearer token, so the link itself carries a one-hour, one-part permission.
 */
export class AttachmentLinks {
  constructor(
    private readonly key: Buffer,
    private readonly clock: Clock,
  ) {}

  sign(claims: AttachmentLinkClaims): string {
    const exp = Math.floor(this.clock.now().getTime() / 1000) + TTL_SECONDS;
    const body = Buffer.from(JSON.stringify([claims.tenantId, claims.mailboxId, exp])).toString('base64url');
    return `${body}.${this.mac(body, claims.messageId, claims.attachmentId)}`;
  }

  /** The tenant and mailbox a valid, unexpired token names for this part; null otherwise. */
  verify(
    token: string,
    messageId: string,
    attachmentId: string,
  ): { tenantId: string; mailboxId: string } | null {
    const [body, mac] = token.split('.');
    if (!body || !mac) return null;
    const expected = Buffer.from(this.mac(body, messageId, attachmentId));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      const [tenantId, mailboxId, exp] = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as [
        string,
        string,
        number,
      ];
      if (typeof exp !== 'number' || exp * 1000 < this.clock.now().getTime()) return null;
      return { tenantId, mailboxId };
    } catch {
      return null;
    }
  }

  private mac(body: string, messageId: string, attachmentId: string): string {
    return createHmac('sha256', this.key).update(`${body}|${messageId}|${attachmentId}`).digest('base64url');
  }
}
