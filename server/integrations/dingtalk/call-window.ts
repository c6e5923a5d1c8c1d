import { realNow, realSleep, type NowFn, type SleepFn } from './token-bucket';

/**
 * DingTalk's per-API limit as a sliding window: at most `limit` calls in any `windowMs` (doc §7/§8:
 * the 21st call within one second answers 90018). A call holds a slot from the moment it is sent
 * until `windowMs` after its reply came back. The server saw the call arrive before we saw the
 * reply, so any `limit + 1` calls are more than `windowMs` apart at the server, whatever the
 * network or event-loop delays were: the limit cannot trip, and a full window of calls may still go
 * out at once (a token bucket refilled below the rate, the former approach, lost about 5%).
 */
export class CallWindow {
  private inFlight = 0;
  /** When slots were released, oldest first. */
  private readonly released: number[] = [];
  /** Each acquire chains onto the previous one: callers are served in arrival order. */
  private tail: Promise<unknown> = Promise.resolve();
  private wake: (() => void) | null = null;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: NowFn = realNow,
    private readonly sleep: SleepFn = realSleep,
  ) {
    if (!(limit >= 1) || !Number.isFinite(limit))
      throw new RangeError(`limit must be at least 1, got ${limit}`);
  }

  /** Waits for a slot; call the returned function once the reply (or the failure) is in. */
  acquire(): Promise<() => void> {
    const turn = this.tail.then(() => this.take());
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  private async take(): Promise<() => void> {
    for (;;) {
      const now = this.now();
      while (this.released.length > 0 && now - this.released[0] >= this.windowMs) this.released.shift();
      if (this.inFlight + this.released.length < this.limit) break;
      if (this.released.length > 0) {
        await this.sleep(Math.max(1, this.released[0] + this.windowMs - now));
      } else {
        // Every slot is in flight: the next reply frees one (a window later).
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    }
    this.inFlight += 1;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlight -= 1;
      this.released.push(this.now());
      const wake = this.wake;
      this.wake = null;
      wake?.();
    };
  }
}

/** One window per key (an API path), created on first use. */
export class KeyedCallWindows {
  private readonly windows = new Map<string, CallWindow>();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 1000,
    private readonly now: NowFn = realNow,
    private readonly sleep: SleepFn = realSleep,
  ) {}

  acquire(key: string): Promise<() => void> {
    let w = this.windows.get(key);
    if (!w) {
      w = new CallWindow(this.limit, this.windowMs, this.now, this.sleep);
      this.windows.set(key, w);
    }
    return w.acquire();
  }
}
