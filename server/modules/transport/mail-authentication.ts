import { isIP } from 'node:net';
import { authenticate, dmarc as checkDmarc, spf as checkSpf, type ARCResult } from 'mailauth';
import type { DnsResolver } from '../../platform/dns/resolver';
import type { Logger } from '../../platform/logger';

/** What the SMTP session tells about a message: who connected, how they named themselves, MAIL FROM. */
export interface SmtpSessionInfo {
  remoteAddress: string;
  helo: string | null;
  /** MAIL FROM; '' or null for the null sender. */
  mailFrom: string | null;
  /** STARTTLS was negotiated. */
  secure: boolean;
}

export type SpfResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'temperror' | 'permerror';
export type DkimResult = 'pass' | 'fail' | 'neutral' | 'policy' | 'none' | 'temperror' | 'permerror';
export type DmarcResult = 'pass' | 'fail' | 'none' | 'temperror' | 'permerror';

export interface AuthenticationOutcome {
  spf: SpfResult;
  /** The best DKIM outcome among the signatures ('none' when unsigned). */
  dkim: DkimResult;
  dmarc: DmarcResult;
  /** The domain's requested policy when DMARC failed (after pct), else 'none'. */
  dmarcPolicy: 'reject' | 'quarantine' | 'none';
  arc: string;
  /** The header From domain DMARC judged (lowercase), or null. */
  fromDomain: string | null;
  /** Received-SPF and Authentication-Results lines (folded, without a trailing CRLF) to prepend. */
  headers: string[];
}

const DKIM_RANK: DkimResult[] = ['pass', 'fail', 'policy', 'neutral', 'temperror', 'permerror', 'none'];

/**
 * SPF, DKIM, DMARC and ARC for a message that arrived over SMTP from outside, through mailauth with
 * the injected DNS port. BIMI is not checked (no use for it, and it would cost lookups). Mail
 * sent by our own mailboxes takes the local path and never comes here.
 */
export class MailAuthenticator {
  constructor(private readonly d: { resolver: DnsResolver; hostname: string; logger?: Logger }) {}

  /**
   * `headerFrom` (the From address the parser found) enables the fast path: a message with no
   * DKIM or ARC signature needs no body pass, only SPF and DMARC, which is most of mailauth's cost.
   */
  async check(
    raw: Buffer,
    session: SmtpSessionInfo,
    headerFrom?: string | null,
  ): Promise<AuthenticationOutcome> {
    const helo = session.helo && session.helo.trim() ? session.helo.trim() : null;
    const heloDomain = helo && !isIP(helo.replace(/^\[|\]$/g, '')) ? helo : null;
    // RFC 7208 §2.4: for the null sender the HELO identity is checked as postmaster@helo.
    const sender = session.mailFrom || (heloDomain ? `postmaster@${heloDomain}` : undefined);
    try {
      if (headerFrom !== undefined && !hasSignatures(raw))
        return await this.unsigned(session, helo, sender, headerFrom);
      const result = await authenticate(raw, {
        ip: session.remoteAddress.replace(/^::ffff:/, ''),
        helo: helo ?? undefined,
        sender,
        mta: this.d.hostname,
        resolver: this.d.resolver,
        disableBimi: true,
      });
      // mailauth answers a body-hash mismatch (content changed after signing) with "neutral";
      // for the score it is the failure it is (RFC 6376 §6.1.3).
      const dkimResults: DkimResult[] = (result.dkim?.results ?? []).map(
        (r: { status?: { result?: string; comment?: string | false } }) =>
          (r.status?.result === 'neutral' && /body hash did not verify/.test(String(r.status.comment))
            ? 'fail'
            : (r.status?.result ?? 'none')) as DkimResult,
      );
      const dkim = dkimResults.length
        ? (DKIM_RANK.find((rank) => dkimResults.includes(rank)) ?? 'neutral')
        : 'none';
      const dmarcObj = result.dmarc || null;
      const dmarc = ((dmarcObj && dmarcObj.status?.result) || 'none') as DmarcResult;
      const policy = dmarcObj && dmarc === 'fail' ? dmarcPolicy(dmarcObj) : 'none';
      const fromDomain = (dmarcObj && dmarcObj.status?.header?.from) || headerFromDomain(result);
      return {
        spf: ((result.spf && result.spf.status?.result) || 'none') as SpfResult,
        dkim,
        dmarc,
        dmarcPolicy: policy,
        arc: (result.arc && result.arc.status?.result) || 'none',
        fromDomain: fromDomain ? String(fromDomain).toLowerCase() : null,
        headers: result.headers.split(/\r\n(?![ \t])/).filter((line: string) => line.length > 0),
      };
    } catch (err) {
      // A broken message or resolver must not lose mail: deliver, marked as unchecked.
      this.d.logger?.warn({ err }, 'mail authentication failed; delivering as unchecked');
      return {
        spf: 'temperror',
        dkim: 'temperror',
        dmarc: 'temperror',
        dmarcPolicy: 'none',
        arc: 'none',
        fromDomain: null,
        headers: [`Authentication-Results: ${this.d.hostname}; none (authentication checks failed)`],
      };
    }
  }

  /** SPF and DMARC only, with the same results and header text as mailauth's authenticate(). */
  private async unsigned(
    session: SmtpSessionInfo,
    helo: string | null,
    sender: string | undefined,
    headerFrom: string | null,
  ): Promise<AuthenticationOutcome> {
    const ip = session.remoteAddress.replace(/^::ffff:/, '');
    const heloArg = helo ?? ip;
    const spf = await checkSpf({
      ip,
      helo: isIP(heloArg) ? `[${heloArg}]` : heloArg,
      sender,
      mta: this.d.hostname,
      resolver: this.d.resolver,
    });
    const spfPass = spf?.status?.result === 'pass' && spf.domain ? [spf.domain] : [];
    const dmarc = headerFrom
      ? await checkDmarc({
          headerFrom,
          spfDomains: spfPass,
          dkimDomains: [],
          arcResult: { status: { result: 'none' } } as ARCResult,
          resolver: this.d.resolver,
        })
      : false;
    const dmarcResult = ((dmarc && dmarc.status?.result) || 'none') as DmarcResult;
    const parts = ['dkim=none (message not signed)', spf?.info, dmarc ? dmarc.info : null].filter(
      (p): p is string => !!p,
    );
    return {
      spf: ((spf && spf.status?.result) || 'none') as SpfResult,
      dkim: 'none',
      dmarc: dmarcResult,
      dmarcPolicy: dmarc && dmarcResult === 'fail' ? dmarcPolicy(dmarc) : 'none',
      arc: 'none',
      fromDomain:
        (dmarc && dmarc.status?.header?.from?.toLowerCase()) ||
        (headerFrom?.includes('@') ? headerFrom.split('@').pop()!.toLowerCase() : null),
      headers: [
        ...(spf?.header ? [spf.header] : []),
        `Authentication-Results: ${this.d.hostname};\r\n ${parts.join(';\r\n ')}`,
      ],
    };
  }
}

/**
 * RFC 8601 §5: Authentication-Results fields that claim to be ours (our authserv-id) but arrived
 * with the message are forged; they are removed before the message is checked and stored, so
 * nobody is shown a "dkim=pass" we never said. Returns the same buffer when there is none.
 */
export function withoutForgedResults(raw: Buffer, authservId: string): Buffer {
  let end = raw.indexOf('\r\n\r\n');
  if (end < 0) end = raw.indexOf('\n\n');
  if (end < 0) return raw;
  const head = raw.subarray(0, end).toString('latin1');
  const id = authservId.toLowerCase();
  if (!id || !head.toLowerCase().includes(id)) return raw;
  const ours = new RegExp(
    `^authentication-results[ \\t]*:[ \\t\\r\\n]*${escapeRegExp(id)}(?![a-z0-9.-])`,
    'i',
  );
  // Fields with their folded continuation lines.
  const fields = head.split(/\r?\n(?![ \t])/);
  const kept = fields.filter((f) => !ours.test(f));
  if (kept.length === fields.length) return raw;
  return Buffer.concat([Buffer.from(kept.join('\r\n'), 'latin1'), raw.subarray(end)]);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Any DKIM or ARC signature among the headers (the header block only; cheap). */
export function hasSignatures(raw: Buffer): boolean {
  let end = raw.indexOf('\r\n\r\n');
  if (end < 0) end = raw.indexOf('\n\n');
  const head = raw.subarray(0, end < 0 ? Math.min(raw.length, 256 * 1024) : end).toString('latin1');
  return /^(?:dkim-signature|arc-seal|arc-message-signature)[ \t]*:/im.test(head);
}

/** The policy that applies to this failure: sp= for subdomains, and pct= sampling honoured. */
function dmarcPolicy(d: { policy?: string; p?: string; pct?: number }): 'reject' | 'quarantine' | 'none' {
  const policy = (d.policy ?? d.p ?? 'none').toLowerCase();
  if (policy !== 'reject' && policy !== 'quarantine') return 'none';
  const pct = typeof d.pct === 'number' ? d.pct : 100;
  if (pct < 100 && Math.random() * 100 >= pct) return policy === 'reject' ? 'quarantine' : 'none';
  return policy;
}

function headerFromDomain(result: { dkim?: { headerFrom?: string[] } }): string | null {
  const from = result.dkim?.headerFrom?.[0];
  return from && from.includes('@') ? from.split('@').pop()! : null;
}
