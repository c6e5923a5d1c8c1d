/**
 * A token bucket that makes callers wait (in FIFO order) instead of failing. DingTalk throttles
 * each API path per app (20 calls/s on the standard edition, errcode 90018), so the client keeps
 * one bucket per path and every request, retries included, takes a token first.
 */

export type NowFn = () => number;
export type SleepFn = (ms: number) => Promise<void>;

export const realNow: NowFn = () => Date.now();
export const realSleep: SleepFn = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export interface TokenBucketOptions {
  /** Tokens added per second. */
  ratePerSecond: number;
  /** Most tokens the bucket holds, i.e. the largest burst. It starts full. */
  capacity: number;
  now?: NowFn;
  sleep?: SleepFn;
}

export class TokenBucket {
  readonly ratePerSecond: number;
  readonly capacity: number;
  private readonly now: NowFn;
  private readonly sleep: SleepFn;
  private tokens: number;
  private lastRefill: number;
  /** Each take() chains onto the previous one, which keeps waiters in arrival order. */
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0) || !Number.isFinite(options.ratePerSecond)) {
      throw new RangeError(`ratePerSecond must be a positive number, got ${options.ratePerSecond}`);
    }
    if (!(options.capacity >= 1) || !Number.isFinite(options.capacity)) {
      throw new RangeError(`capacity must be at least 1, got ${options.capacity}`);
    }
    this.ratePerSecond = options.ratePerSecond;
    this.capacity = options.capacity;
    this.now = options.now ?? realNow;
    this.sleep = options.sleep ?? realSleep;
    this.tokens = options.capacity;
    this.lastRefill = this.now();
  }

  /** Number of callers queued behind the current one. */
  get pending(): number {
    return this.waiting;
  }

  /** Takes a token now if one is available; never waits and never jumps the queue. */
  tryTake(): boolean {
    if (this.waiting > 0) return false;
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Resolves once a token has been taken for this caller. */
  take(): Promise<void> {
    this.waiting += 1;
    const turn = this.tail.then(() => this.acquire());
    // A rejected sleep must not wedge the queue for everyone behind it.
    this.tail = turn.catch(() => undefined);
    return turn.finally(() => {
      this.waiting -= 1;
    });
  }

  private async acquire(): Promise<void> {
    for (;;) {
      this.refill();
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      const waitMs = Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000);
      await this.sleep(Math.max(1, waitMs));
    }
  }

  private refill(): void {
    const now = this.now();
    const elapsed = now - this.lastRefill;
    if (elapsed > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + (elapsed / 1000) * this.ratePerSecond);
      this.lastRefill = now;
    }
  }
}

/**
 * Bucket settings that keep every sliding one-second window at or under `qps` calls, with room
 * for some latency jitter between our send time and the server's arrival time: one token of
 * burst and a refill of 95% of the limit. A full bucket of `qps` tokens refilled at `qps`/s would
 * allow 2×qps calls inside one second and trip a sliding-window limiter such as DingTalk's.
 */
export function bucketOptionsForQps(qps: number): Pick<TokenBucketOptions, 'ratePerSecond' | 'capacity'> {
  if (!(qps > 0)) throw new RangeError(`qps must be positive, got ${qps}`);
  return { ratePerSecond: qps * 0.95, capacity: 1 };
}

/** One bucket per key (an API path), created on first use with the same settings. */
export class KeyedTokenBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly options: TokenBucketOptions) {}

  take(key: string): Promise<void> {
    return this.bucket(key).take();
  }

  bucket(key: string): TokenBucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.options);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}
