import { z } from 'zod';

/**
 * A sender pattern: a full address (`boss@partner.com`), a domain (`partner.com`, which also
 * covers its subdomains) or `@partner.com` (the domain only, not its subdomains).
 */
export const SenderPattern = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .regex(
    /^(?:[^\s@]+@|@)?(?=.{1,253}$)(?:[a-z0-9\u00a1-\uffff](?:[a-z0-9\u00a1-\uffff-]{0,61}[a-z0-9\u00a1-\uffff])?\.)+[a-z\u00a1-\uffff]{2,63}$/,
    'expected an address (name@example.com), a domain (example.com) or @example.com',
  );

/** What happens to mail that is refused by policy: answered 550 5.7.1, or stored in Junk. */
export const RefuseOrJunk = z.enum(['refuse', 'junk']);

/** An organization's inbound spam policy, edited in the console (admin). */
export const AntispamSettings = z
  .object({
    /** Content and authentication scoring; lists and DMARC apply even when this is off. */
    scoringEnabled: z.boolean().default(true),
    /** Score at or above which a message goes to Junk. */
    threshold: z.number().min(1).max(100).default(5),
    /** Senders never put in Junk (a DMARC failure of their domain still counts against them). */
    allow: z.array(SenderPattern).max(2000).default([]),
    /** Senders refused (or junked, see blockAction). */
    block: z.array(SenderPattern).max(2000).default([]),
    blockAction: RefuseOrJunk.default('refuse'),
    /** Mail failing DMARC whose domain publishes p=reject. */
    dmarcRejectAction: RefuseOrJunk.default('refuse'),
  })
  .meta({ id: 'AntispamSettings' });
export type AntispamSettings = z.infer<typeof AntispamSettings>;

export const ANTISPAM_KEY = 'mail.antispam';
