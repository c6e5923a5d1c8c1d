import { UpstreamError } from '../../platform/errors';
import type { Logger } from '../../platform/logger';
import { AccessTokenCache, type CachedToken } from './access-token-cache';
import {
  classifyLegacy,
  classifyNew,
  httpOrParseFailure,
  transportFailure,
  type Outcome,
} from './dingtalk-reply-classifier';
import type { GetTokenReply, LegacyEnvelope } from './dingtalk-types';
import { KeyedCallWindows } from './call-window';
import { realNow, realSleep, type NowFn, type SleepFn } from './token-bucket';

/**
 * Transport for the DingTalk Open API: access tokens, per-path rate limiting, retries and error
 * mapping. Endpoint wrappers live in the `*.api.ts` files next to this one.
 */

export { AccessTokenCache };

export interface DingTalkApiConfig {
  /** Legacy host; default https://oapi.dingtalk.com. */
  oapiBaseUrl?: string;
  /** New-API host; default https://api.dingtalk.com. */
  apiBaseUrl?: string;
  appKey: string;
  appSecret: string;
  agentId: number | string;
  /** DingTalk's per-app per-API limit; default 20 (standard edition). */
  qpsPerApi?: number;
  /** Retries after the first attempt; default 3 (4 attempts in all). */
  maxRetries?: number;
  /** Per-request timeout, body included; default 10 s. */
  timeoutMs?: number;
  /** Back-off base for busy/5xx/network failures; default 200 ms, doubled per retry, with jitter. */
  retryBaseDelayMs?: number;
  /** Back-off base for throttling codes (90018, 90002, 90005); default 1 s, as DingTalk advises. */
  throttleRetryDelayMs?: number;
  logger: Logger;
  fetch?: typeof fetch;
  sleep?: SleepFn;
  now?: NowFn;
  random?: () => number;
  /** Share one cache between clients of the same app; by default each client has its own. */
  tokenCache?: AccessTokenCache;
}

export interface CallOptions {
  /**
   * false for calls with a side effect (sending a notice, consuming a login code, pulling failed
   * callbacks): those are not retried after a failure that the server may already have acted on
   * (timeout, 5xx, dropped connection), only after replies that say nothing was done.
   */
  idempotent?: boolean;
  timeoutMs?: number;
}

export interface DingTalkCallStats {
  /** HTTP requests sent, retries and token fetches included. */
  total: number;
  byPath: Record<string, number>;
  retries: number;
  tokenFetches: number;
}

const DEFAULT_OAPI = 'https://oapi.dingtalk.com';
const DEFAULT_API = 'https://api.dingtalk.com';
const TOKEN_PATH = '/gettoken';
/** Refresh this long before DingTalk's stated expiry (the calling guide says about 10 minutes). */
const REFRESH_AHEAD_MS = 10 * 60 * 1000;
const MAX_BACKOFF_MS = 30_000;

interface RequestSpec {
  family: 'legacy' | 'new';
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  auth: boolean;
  idempotent: boolean;
  timeoutMs: number;
}

export class DingTalkApiClient {
  readonly agentId: number;
  private readonly oapiBaseUrl: string;
  private readonly apiBaseUrl: string;
  private readonly appKey: string;
  private readonly appSecret: string;
  private readonly maxRetries: number;
  private readonly timeoutMs: number;
  private readonly retryBaseDelayMs: number;
  private readonly throttleRetryDelayMs: number;
  private readonly log: Logger;
  private readonly fetchFn: typeof fetch;
  private readonly sleep: SleepFn;
  private readonly now: NowFn;
  private readonly random: () => number;
  private readonly tokens: AccessTokenCache;
  private readonly tokenKey: string;
  private readonly windows: KeyedCallWindows;
  private counters: DingTalkCallStats = { total: 0, byPath: {}, retries: 0, tokenFetches: 0 };

  constructor(config: DingTalkApiConfig) {
    if (!config.appKey || !config.appSecret)
      throw new TypeError('DingTalk appKey and appSecret are required');
    const agentId = Number(config.agentId);
    if (!Number.isSafeInteger(agentId)) throw new TypeError('DingTalk agentId must be a number');
    this.agentId = agentId;
    this.oapiBaseUrl = (config.oapiBaseUrl ?? DEFAULT_OAPI).replace(/\/+$/, '');
    this.apiBaseUrl = (config.apiBaseUrl ?? DEFAULT_API).replace(/\/+$/, '');
    this.appKey = config.appKey;
    this.appSecret = config.appSecret;
    this.maxRetries = Math.max(0, config.maxRetries ?? 3);
    this.timeoutMs = config.timeoutMs ?? 10_000;
    this.retryBaseDelayMs = config.retryBaseDelayMs ?? 200;
    this.throttleRetryDelayMs = config.throttleRetryDelayMs ?? 1000;
    this.log = config.logger.child({ module: 'dingtalk-api' });
    this.fetchFn = config.fetch ?? ((input, init) => fetch(input, init));
    this.sleep = config.sleep ?? realSleep;
    this.now = config.now ?? realNow;
    this.random = config.random ?? Math.random;
    this.tokens = config.tokenCache ?? new AccessTokenCache();
    this.tokenKey = `${this.oapiBaseUrl}|${this.appKey}`;
    this.windows = new KeyedCallWindows(config.qpsPerApi ?? 20, 1000, this.now, this.sleep);
  }

  /**
   * A legacy `oapi` call (`/topapi/...`, `/call_back/...`): JSON body, token in the query. Returns
   * the whole envelope because some endpoints put their data next to `errcode`, not in `result`.
   * Any errcode other than 0 becomes an UpstreamError.
   */
  async callLegacy<T extends LegacyEnvelope>(
    path: string,
    body?: Record<string, unknown>,
    options: CallOptions & { method?: 'GET' | 'POST' } = {},
  ): Promise<T> {
    const method = options.method ?? 'POST';
    return (await this.execute({
      family: 'legacy',
      method,
      path: normalizePath(path),
      body: method === 'GET' ? undefined : (body ?? {}),
      auth: true,
      idempotent: options.idempotent ?? true,
      timeoutMs: options.timeoutMs ?? this.timeoutMs,
    })) as T;
  }

  /** A new-API call (`/v1.0/...`): token in the `x-acs-dingtalk-access-token` header. */
  async callNewApi<T>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    options: CallOptions = {},
  ): Promise<T> {
    return (await this.execute({
      family: 'new',
      method,
      path: normalizePath(path),
      body,
      auth: true,
      idempotent: options.idempotent ?? method !== 'POST',
      timeoutMs: options.timeoutMs ?? this.timeoutMs,
    })) as T;
  }

  /** The app's access token from the cache, fetched (once for all concurrent callers) when due. */
  getAccessToken(): Promise<string> {
    return this.tokens.get(this.tokenKey, this.now(), () => this.fetchAccessToken());
  }

  stats(): DingTalkCallStats {
    return { ...this.counters, byPath: { ...this.counters.byPath } };
  }

  resetStats(): void {
    this.counters = { total: 0, byPath: {}, retries: 0, tokenFetches: 0 };
  }

  private async fetchAccessToken(): Promise<CachedToken> {
    this.counters.tokenFetches += 1;
    // Lifetime counts from the request, not the reply: errs on the early side.
    const requestedAt = this.now();
    const reply = (await this.execute({
      family: 'legacy',
      method: 'GET',
      path: TOKEN_PATH,
      query: { appkey: this.appKey, appsecret: this.appSecret },
      auth: false,
      idempotent: true,
      timeoutMs: this.timeoutMs,
    })) as GetTokenReply;
    const token = reply.access_token;
    const expiresInMs = Number(reply.expires_in ?? 7200) * 1000;
    if (typeof token !== 'string' || token === '' || !Number.isFinite(expiresInMs)) {
      throw new UpstreamError('dingtalk', 'DingTalk gettoken returned no access_token', true, undefined, {
        details: { path: TOKEN_PATH, requestId: reply.request_id },
      });
    }
    // Short lifetimes (never seen in production) refresh at half-life instead of going negative.
    const ahead = Math.min(REFRESH_AHEAD_MS, expiresInMs / 2);
    this.log.debug({ expiresInMs }, 'dingtalk access token fetched');
    return { token, refreshAt: requestedAt + expiresInMs - ahead };
  }

  private async execute(spec: RequestSpec): Promise<unknown> {
    const maxAttempts = this.maxRetries + 1;
    let refreshedToken = false;
    let attempt = 0;
    for (;;) {
      attempt += 1;
      const token = spec.auth ? await this.getAccessToken() : undefined;
      const release = await this.windows.acquire(spec.path);
      let outcome: Outcome;
      try {
        outcome = await this.send(spec, token);
      } finally {
        release();
      }
      if (outcome.ok) return outcome.body;
      const failure = outcome.failure;

      if (failure.tokenInvalid && token !== undefined && !refreshedToken) {
        // Refresh once and retry once; this does not use up the retry budget.
        refreshedToken = true;
        this.tokens.invalidate(this.tokenKey, token);
        attempt -= 1;
        this.log.info({ path: spec.path, code: failure.code }, 'dingtalk token rejected; refreshing');
        continue;
      }
      const mayRetry = failure.retryable && (spec.idempotent || !failure.mayHaveRun);
      if (mayRetry && attempt < maxAttempts) {
        const delayMs = this.backoff(attempt, failure.throttled);
        this.counters.retries += 1;
        this.log.warn(
          { path: spec.path, attempt, code: failure.code, requestId: failure.details.requestId, delayMs },
          'dingtalk call failed; retrying',
        );
        await this.sleep(delayMs);
        continue;
      }
      this.log.warn(
        { path: spec.path, attempt, code: failure.code, requestId: failure.details.requestId },
        'dingtalk call failed',
      );
      throw new UpstreamError('dingtalk', failure.message, failure.retryable, failure.code, {
        details: { ...failure.details, path: spec.path, attempts: attempt },
        cause: failure.cause,
      });
    }
  }

  /** Exponential back-off with "equal jitter": half fixed, half random. */
  private backoff(attempt: number, throttled: boolean): number {
    const base = throttled ? this.throttleRetryDelayMs : this.retryBaseDelayMs;
    const full = Math.min(MAX_BACKOFF_MS, base * 2 ** (attempt - 1));
    return Math.round(full / 2 + this.random() * (full / 2));
  }

  private async send(spec: RequestSpec, token: string | undefined): Promise<Outcome> {
    const base = spec.family === 'legacy' ? this.oapiBaseUrl : this.apiBaseUrl;
    const query = new URLSearchParams(spec.query);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== undefined) {
      if (spec.family === 'legacy') query.set('access_token', token);
      else headers['x-acs-dingtalk-access-token'] = token;
    }
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    const qs = query.toString();
    // The URL carries the token (and the secret for /gettoken): it never goes into logs or errors.
    const url = `${base}${spec.path}${qs ? `?${qs}` : ''}`;

    this.counters.total += 1;
    this.counters.byPath[spec.path] = (this.counters.byPath[spec.path] ?? 0) + 1;

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, spec.timeoutMs);
    const started = this.now();
    let status: number;
    let text: string;
    try {
      const res = await this.fetchFn(url, {
        method: spec.method,
        headers,
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        signal: controller.signal,
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      return { ok: false, failure: transportFailure(err, timedOut, spec.timeoutMs) };
    } finally {
      clearTimeout(timer);
    }
    this.log.debug({ path: spec.path, status, ms: this.now() - started }, 'dingtalk call');

    let body: unknown;
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch (err) {
      return { ok: false, failure: httpOrParseFailure(status, 'non-JSON reply', err) };
    }
    return spec.family === 'legacy' ? classifyLegacy(status, body) : classifyNew(status, body);
  }
}

function normalizePath(path: string): string {
  return path.startsWith('/') ? path : `/${path}`;
}
