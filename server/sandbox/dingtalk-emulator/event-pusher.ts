import { randomBytes } from 'node:crypto';
import { DingTalkCallbackCrypto, randomNonce } from '../../integrations/dingtalk/callback-crypto';
import type { OrgChange } from './org-model';

/**
 * HTTP-mode event push (doc §4.2–4.3): encrypted POSTs with `signature` and `msg_signature`, a reply
 * that must be an encrypted `success` within 1.5 s, retries at +10 s and +30 s (configurable),
 * then the event waits in the failed list for `call_back/get_call_back_failed_result`.
 */

export interface CallbackConfig {
  url: string;
  token: string;
  aesKey: string;
  /** appKey for a console subscription (internal app), corpId for `register_call_back`. */
  ownerKey: string;
  /** true: `UserId`/`DeptId`/`TimeStamp` keys; default: current-doc `userId`/`deptId`/`EventTime`/`eventId`. */
  legacyKeys?: boolean;
  /** Delays before each retry; default [10000, 30000]. */
  retryDelaysMs?: number[];
  /** How long a reply may take; default 1500. */
  timeoutMs?: number;
  /** Only these event types are pushed (a `register_call_back` tag list); default all. */
  eventTypes?: string[];
}

export interface PushAttempt {
  at: number;
  ok: boolean;
  error?: string;
}

export interface PushRecord {
  eventId: string;
  eventType: string;
  /** The plaintext that was encrypted. */
  payload: Record<string, unknown>;
  attempts: PushAttempt[];
  status: 'pending' | 'delivered' | 'failed';
  /** Settles when the record is delivered or has failed for good. */
  done: Promise<PushRecord>;
}

export interface FailedEvent {
  call_back_tag: string;
  event_time: number;
  [eventType: string]: unknown;
}

export class EventPusher {
  readonly log: PushRecord[] = [];
  private config?: CallbackConfig;
  private crypto?: DingTalkCallbackCrypto;
  private readonly failed: FailedEvent[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pending = new Set<Promise<PushRecord>>();
  private closed = false;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly corpId: string,
    private readonly now: () => number,
  ) {}

  get callback(): CallbackConfig | undefined {
    return this.config;
  }

  setCallback(config: CallbackConfig | undefined): void {
    this.config = config;
    this.crypto = config
      ? new DingTalkCallbackCrypto({
          token: config.token,
          encodingAesKey: config.aesKey,
          ownerKey: config.ownerKey,
        })
      : undefined;
  }

  /** Pushes the event for an org change; undefined when no callback is configured. */
  push(change: OrgChange): PushRecord | undefined {
    return this.pushEvent(change.eventType, { userIds: change.userIds, deptIds: change.deptIds });
  }

  /** Pushes any event type by hand (tests, demos). */
  pushEvent(eventType: string, ids: { userIds?: string[]; deptIds?: number[] } = {}): PushRecord | undefined {
    const config = this.config;
    if (!config || this.closed) return undefined;
    if (config.eventTypes && !config.eventTypes.includes(eventType)) return undefined;
    const eventTime = this.now();
    const eventId = randomBytes(16).toString('hex');
    const payload = this.payload(config, eventType, eventTime, eventId, ids);
    let resolve!: (record: PushRecord) => void;
    const record: PushRecord = {
      eventId,
      eventType,
      payload,
      attempts: [],
      status: 'pending',
      done: new Promise((r) => (resolve = r)),
    };
    this.log.push(record);
    this.pending.add(record.done);
    void record.done.then(() => this.pending.delete(record.done));

    const delays = config.retryDelaysMs ?? [10_000, 30_000];
    const attempt = async (n: number): Promise<void> => {
      const result = await this.deliver(config, JSON.stringify(payload));
      record.attempts.push({ at: this.now(), ...result });
      if (result.ok) {
        record.status = 'delivered';
        return resolve(record);
      }
      if (n < delays.length && !this.closed) {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          void attempt(n + 1);
        }, delays[n]);
        this.timers.add(timer);
        return;
      }
      record.status = 'failed';
      this.failed.push(failedItem(eventType, eventTime, this.corpId, ids));
      resolve(record);
    };
    // First attempts go out one at a time, in change order, so a receiver sees hire before move.
    this.queue = this.queue.then(() => attempt(0));
    return record;
  }

  /** The console's URL check: `{"EventType":"check_url"}`, answered with an encrypted success. */
  async checkUrl(config: CallbackConfig | undefined = this.config): Promise<{ ok: boolean; error?: string }> {
    if (!config) return { ok: false, error: 'no callback configured' };
    return this.deliver(config, JSON.stringify({ EventType: 'check_url' }));
  }

  /** Resolves once every push so far is delivered or failed for good. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  /** Up to `max` failed events, removed from the list as they are handed out (doc: ≤200 per call). */
  takeFailed(max = 200): { items: FailedEvent[]; hasMore: boolean } {
    const items = this.failed.splice(0, max);
    return { items, hasMore: this.failed.length > 0 };
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private payload(
    config: CallbackConfig,
    eventType: string,
    eventTime: number,
    eventId: string,
    ids: { userIds?: string[]; deptIds?: number[] },
  ): Record<string, unknown> {
    if (config.legacyKeys) {
      return {
        EventType: eventType,
        TimeStamp: eventTime,
        ...(ids.userIds ? { UserId: ids.userIds } : {}),
        ...(ids.deptIds ? { DeptId: ids.deptIds } : {}),
        CorpId: this.corpId,
      };
    }
    return {
      EventType: eventType,
      EventTime: eventTime,
      CorpId: this.corpId,
      BizId: String(eventTime),
      eventId,
      timeStamp: String(eventTime),
      ...(ids.userIds ? { userId: ids.userIds } : {}),
      ...(ids.deptIds ? { deptId: ids.deptIds } : {}),
    };
  }

  private async deliver(config: CallbackConfig, plaintext: string): Promise<{ ok: boolean; error?: string }> {
    const crypto =
      config === this.config && this.crypto
        ? this.crypto
        : new DingTalkCallbackCrypto({
            token: config.token,
            encodingAesKey: config.aesKey,
            ownerKey: config.ownerKey,
          });
    const encrypt = crypto.encrypt(plaintext);
    const timestamp = String(this.now());
    const nonce = randomNonce(8);
    const signature = crypto.signature(timestamp, nonce, encrypt);
    const url = new URL(config.url);
    url.searchParams.set('signature', signature);
    url.searchParams.set('msg_signature', signature);
    url.searchParams.set('timestamp', timestamp);
    url.searchParams.set('nonce', nonce);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ encrypt }),
        signal: AbortSignal.timeout(config.timeoutMs ?? 1500),
      });
      const text = await res.text();
      if (res.status !== 200) return { ok: false, error: `HTTP ${res.status}` };
      return verifyReply(crypto, text);
    } catch (err) {
      return {
        ok: false,
        error: (err as Error).name === 'TimeoutError' ? 'timeout' : (err as Error).message,
      };
    }
  }
}

function verifyReply(crypto: DingTalkCallbackCrypto, text: string): { ok: boolean; error?: string } {
  let reply: Record<string, unknown>;
  try {
    reply = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { ok: false, error: 'reply is not JSON' };
  }
  const { msg_signature: sig, timeStamp, nonce, encrypt } = reply ?? {};
  if (![sig, timeStamp, nonce, encrypt].every((v) => typeof v === 'string')) {
    return { ok: false, error: 'reply lacks msg_signature/timeStamp/nonce/encrypt strings' };
  }
  try {
    const msg = crypto.decryptVerified(
      sig as string,
      timeStamp as string,
      nonce as string,
      encrypt as string,
    );
    return msg === 'success'
      ? { ok: true }
      : { ok: false, error: `reply decrypts to ${JSON.stringify(msg)}` };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

function failedItem(
  eventType: string,
  eventTime: number,
  corpId: string,
  ids: { userIds?: string[]; deptIds?: number[] },
): FailedEvent {
  const data = ids.userIds
    ? { userid: ids.userIds, corpid: corpId }
    : { deptid: ids.deptIds ?? [], corpid: corpId };
  return { [eventType]: data, call_back_tag: eventType, event_time: eventTime };
}
