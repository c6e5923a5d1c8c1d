import type { ParsedMessage } from '../../mail';
import type { DeliveryVerdict } from '../local-delivery.service';
import type { AuthenticationOutcome } from '../mail-authentication';
import type { AntispamPolicy } from './antispam.service';
import { contentSignals, type SpamSignal } from './content-score';

export interface SpamJudgement {
  /** Refuse the whole message at DATA (550 5.7.1) with this text, or null to deliver. */
  refuse: string | null;
  verdict: DeliveryVerdict;
  /** X-Spam-Score / X-Spam-Status lines for the stored copy. */
  headers: string[];
}

/**
 * One organization's verdict on one inbound message: its block and allow lists, the sender
 * domain's DMARC policy on failure, then the content score against the threshold.
 */
export function judgeMessage(
  policy: AntispamPolicy,
  input: {
    parsed: ParsedMessage;
    raw: Buffer;
    envelopeFrom: string | null;
    envelopeRecipients: readonly string[];
    auth: AuthenticationOutcome | null;
  },
): SpamJudgement {
  const { settings } = policy;
  const headerFrom = input.parsed.from[0]?.address ?? null;
  const auth = input.auth;
  const reasons: string[] = [];
  let forced = false;
  let refuse: string | null = null;

  const blocked = policy.block.matches(input.envelopeFrom) || policy.block.matches(headerFrom);
  // An allowlisted domain that fails its own DMARC may be forged: the allowlist does not cover it.
  const allowed =
    !blocked &&
    auth?.dmarc !== 'fail' &&
    (policy.allow.matches(input.envelopeFrom) || policy.allow.matches(headerFrom));

  if (blocked) {
    reasons.push('blocklist');
    if (settings.blockAction === 'refuse')
      refuse = '5.7.1 Message refused: the sender is blocked by the recipient organization';
    else forced = true;
  }
  if (auth?.dmarc === 'fail' && auth.dmarcPolicy === 'reject') {
    reasons.push('dmarc_reject');
    if (settings.dmarcRejectAction === 'refuse')
      refuse ??= `5.7.1 Message rejected per the DMARC policy of ${auth.fromDomain ?? 'the sender domain'}`;
    else forced = true;
  } else if (auth?.dmarc === 'fail' && auth.dmarcPolicy === 'quarantine') {
    reasons.push('dmarc_quarantine');
    forced = true;
  }

  const signals: SpamSignal[] = settings.scoringEnabled
    ? contentSignals(input.parsed, input.raw, { envelopeRecipients: input.envelopeRecipients, auth })
    : [];
  const score = Math.round(signals.reduce((sum, s) => sum + s.score, 0) * 10) / 10;
  if (score >= settings.threshold) reasons.push('score');
  if (allowed) reasons.push('allowlist');
  const spam = !allowed && (forced || score >= settings.threshold);

  const tests = [...signals.map((s) => s.name), ...reasons.map((r) => r.toUpperCase())];
  return {
    refuse: allowed ? null : refuse,
    verdict: { spam, score, reasons },
    headers: [
      `X-Spam-Score: ${score.toFixed(1)}`,
      `X-Spam-Status: ${spam ? 'Yes' : 'No'}, score=${score.toFixed(1)} required=${settings.threshold.toFixed(1)}` +
        (tests.length ? ` tests=${tests.join(',')}` : ''),
    ],
  };
}
