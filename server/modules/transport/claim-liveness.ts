import { randomInt } from 'node:crypto';
import { Client } from 'pg';
import type { Logger } from '../../platform/logger';

/** First key of the two-key advisory locks that say "this outbound worker is alive" ('OMOQ'). */
export const CLAIM_LOCK_CLASS = 0x4f4d4f51;

/**
 * Proof of life for a process working the outbound queue: a session-level advisory lock
 * (CLAIM_LOCK_CLASS, id) held on a connection of its own. Rows it claims carry `claimed_by = id`;
 * PostgreSQL drops the lock the moment that process dies (its socket closes), and any worker may
 * then claim those rows again at once instead of waiting for the lease to run out. If only the lock's
 * connection is lost (the process lives on), a send under way may be made twice: the receiving side
 * deduplicates by Message-ID, as it must anyway for a reply lost between its 250 and our record.
 */
export class ClaimLiveness {
  readonly id = randomInt(1, 2 ** 31 - 1);
  private client: Client | undefined;
  private held = false;
  private acquiring: Promise<boolean> | undefined;

  constructor(
    private readonly url: string | undefined,
    private readonly logger?: Logger,
  ) {}

  /** The id to stamp on claims while the lock is held; null (lease only) when it is not. */
  claimant(): number | null {
    return this.held ? this.id : null;
  }

  /** Takes the lock (again, after a lost connection); false when the database cannot be reached. */
  ensure(): Promise<boolean> {
    if (this.held || !this.url) return Promise.resolve(this.held);
    this.acquiring ??= this.acquire().finally(() => (this.acquiring = undefined));
    return this.acquiring;
  }

  private async acquire(): Promise<boolean> {
    const client = new Client({ connectionString: this.url, application_name: 'orgmail-outbound-liveness' });
    const lost = (err?: Error) => {
      if (this.client !== client) return;
      this.held = false;
      this.client = undefined;
      this.logger?.warn({ err }, 'outbound worker lost its liveness lock; claims fall back to the lease');
    };
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      await client.query('SELECT pg_advisory_lock($1, $2)', [CLAIM_LOCK_CLASS, this.id]);
      this.client = client;
      this.held = true;
    } catch (err) {
      this.logger?.warn({ err }, 'outbound worker could not take its liveness lock');
      await client.end().catch(() => undefined);
    }
    return this.held;
  }

  async release(): Promise<void> {
    await this.acquiring;
    const client = this.client;
    this.held = false;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
