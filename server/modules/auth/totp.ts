import { generateSecret, generateSync, generateURI, verifySync } from 'otplib';
import type { Clock } from '../../platform/clock';

const PERIOD = 30;

/** RFC 6238 TOTP (30 s, 6 digits, SHA-1: what every authenticator app speaks). */
export class Totp {
  constructor(private readonly clock: Clock) {}

  newSecret(): string {
    return generateSecret();
  }

  uri(secret: string, issuer: string, label: string): string {
    return generateURI({ issuer, label, secret });
  }

  /** For tests and tools: the code valid now. */
  codeNow(secret: string): string {
    return generateSync({ secret, epoch: this.epoch() });
  }

  /**
   * Accepts the code of the current step or one step either side (clock drift), but never a
   * step at or before `lastStep`, so a code seen once cannot be replayed. Returns the step used.
   */
  verify(secret: string, code: string, lastStep: number | null): number | null {
    const epoch = this.epoch();
    const result = verifySync({
      secret,
      token: code,
      epoch,
      epochTolerance: PERIOD,
      ...(lastStep === null ? {} : { afterTimeStep: lastStep }),
    });
    if (!result.valid) return null;
    const delta = 'delta' in result && typeof result.delta === 'number' ? result.delta : 0;
    return Math.floor(epoch / PERIOD) + delta;
  }

  private epoch(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }
}
