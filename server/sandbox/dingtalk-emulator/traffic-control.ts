/**
 * Per-path call statistics, the optional per-API QPS limit (doc §7: 20 calls/s per app per API)
 * and fault injection, so client tests can exercise retries, back-off and token refresh.
 */

export interface FaultReply {
  /** HTTP status; default 200 on legacy paths, 500 on /v1.0 paths. */
  status?: number;
  /** JSON body; default `{errcode:-1,errmsg:"系统繁忙"}` (legacy) or `{code:"systemBusy",...}` (new). */
  body?: unknown;
  /** Wait this long before answering (to exercise client timeouts). */
  delayMs?: number;
  /** Drop the connection without any reply (a network error on the client side). */
  destroySocket?: boolean;
}

export interface CallStats {
  total: number;
  byPath: Record<string, number>;
}

const WINDOW_MS = 1000;

export class TrafficControl {
  rateLimit: boolean;
  readonly limitPerSecond = 20;
  private statsValue: CallStats = { total: 0, byPath: {} };
  private readonly faults = new Map<string, Array<FaultReply>>();
  /** Recent call times per path, oldest first, at most limitPerSecond entries. */
  private readonly recent = new Map<string, number[]>();

  constructor(
    rateLimit: boolean,
    private readonly now: () => number,
  ) {
    this.rateLimit = rateLimit;
  }

  get stats(): CallStats {
    return this.statsValue;
  }

  record(path: string): void {
    this.statsValue.total++;
    this.statsValue.byPath[path] = (this.statsValue.byPath[path] ?? 0) + 1;
  }

  resetStats(): void {
    this.statsValue = { total: 0, byPath: {} };
  }

  failNext(path: string, times: number, reply: FaultReply = {}): void {
    const queue = this.faults.get(path) ?? [];
    for (let i = 0; i < times; i++) queue.push(reply);
    this.faults.set(path, queue);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  takeFault(path: string): FaultReply | undefined {
    const queue = this.faults.get(path);
    const fault = queue?.shift();
    if (queue && queue.length === 0) this.faults.delete(path);
    return fault;
  }

  /** Sliding one-second window: the 21st call within any 1000 ms is refused (and not counted). */
  overLimit(path: string): boolean {
    if (!this.rateLimit) return false;
    const now = this.now();
    const times = this.recent.get(path) ?? [];
    while (times.length && now - times[0] >= WINDOW_MS) times.shift();
    if (times.length >= this.limitPerSecond) return true;
    times.push(now);
    this.recent.set(path, times);
    return false;
  }
}
