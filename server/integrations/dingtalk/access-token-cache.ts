/** Access tokens per app (keyed by host + appKey), with single-flight refresh. */

export interface CachedToken {
  token: string;
  refreshAt: number;
}

export class AccessTokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<string>>();

  async get(key: string, now: number, fetchToken: () => Promise<CachedToken>): Promise<string> {
    const cached = this.tokens.get(key);
    if (cached && now < cached.refreshAt) return cached.token;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = fetchToken()
        .then((fresh) => {
          this.tokens.set(key, fresh);
          return fresh.token;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /** Drops the token only if it is still the one that failed, so concurrent failures refresh once. */
  invalidate(key: string, token: string): void {
    if (this.tokens.get(key)?.token === token) this.tokens.delete(key);
  }
}
