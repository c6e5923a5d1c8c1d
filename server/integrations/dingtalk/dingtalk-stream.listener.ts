import { DWClient, EventAck, type DWClientDownStream } from 'dingtalk-stream';
import type { DirectoryEvent } from '../../modules/directory';
import type { Logger } from '../../platform/logger';
import { toEvent } from './dingtalk-callback.handler';

/**
 * DingTalk Stream mode (doc §4.4): contact events over an outbound WebSocket, for deployments without
 * a public callback URL. Protocol, pings and reconnects come from the official `dingtalk-stream`
 * SDK; this adds what it lacks: a configurable gateway, an ack that waits for the durable store, and
 * a stop that really stops.
 */

export interface DingTalkStreamListenerOptions {
  tenantId: string;
  appKey: string;
  appSecret: string;
  /** The new-API base: `https://api.dingtalk.com` in production, the emulator's baseUrl in tests. */
  apiBaseUrl: string;
  /** Stores the event durably; false for a duplicate (already stored). */
  ingest: (tenantId: string, event: DirectoryEvent) => Promise<boolean>;
  logger: Logger;
  /** Timeout of one `connections/open` call; default 10000. */
  openTimeoutMs?: number;
}

type State = 'idle' | 'running' | 'stopping' | 'stopped';

/** How long `stop()` waits for in-flight events to be stored and acked before closing anyway. */
const DRAIN_TIMEOUT_MS = 5000;
const GATEWAY_PATH = '/v1.0/gateway/connections/open';

export class DingTalkStreamListener {
  private readonly client: GatewayClient;
  private readonly log: Logger;
  private readonly inflight = new Set<Promise<void>>();
  private state: State = 'idle';

  constructor(private readonly options: DingTalkStreamListenerOptions) {
    this.log = options.logger.child({ module: 'dingtalk-stream', tenantId: options.tenantId });
    this.client = new GatewayClient({
      clientId: options.appKey,
      clientSecret: options.appSecret,
      gatewayUrl: `${options.apiBaseUrl.replace(/\/+$/, '')}${GATEWAY_PATH}`,
      openTimeoutMs: options.openTimeoutMs ?? 10_000,
      isStopped: () => this.state === 'stopped',
      onEvent: (message) => this.receive(message),
      log: this.log,
    });
  }

  /** True while a WebSocket is open (false between a disconnect and the reconnect). */
  get connected(): boolean {
    return this.client.connected;
  }

  /**
   * Opens the first connection. Resolves after that first attempt whatever its outcome: a failure is
   * logged and retried in the background, like every later reconnect, so boot never hangs on DingTalk.
   */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`DingTalk stream listener cannot start when ${this.state}`);
    this.state = 'running';
    await this.client.connect();
  }

  /** Lets in-flight events finish (so their acks go out), then closes for good: no reconnect. */
  async stop(): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.state = 'stopping';
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inflight]),
      new Promise((resolve) => (timer = setTimeout(resolve, DRAIN_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    this.state = 'stopped';
    this.client.disconnect();
  }

  private receive(message: DWClientDownStream): void {
    const { messageId } = message.headers;
    if (this.state !== 'running') {
      // Shutting down: hand the event back so DingTalk delivers it to the next connection.
      this.client.ack(messageId, EventAck.LATER);
      return;
    }
    const task = this.handle(message).then((status) => this.client.ack(messageId, status));
    this.inflight.add(task);
    void task.finally(() => this.inflight.delete(task));
  }

  /** SUCCESS only once the event is stored (or known); LATER on any failure so it is redelivered. */
  private async handle(message: DWClientDownStream): Promise<EventAck> {
    const { messageId, eventType: type, eventId } = message.headers;
    if (!type) {
      // Nothing to store (the HTTP callback ignores such pushes too); redelivery would not help.
      this.log.warn({ messageId }, 'dingtalk stream event without an eventType, ignored');
      return EventAck.SUCCESS;
    }
    const event = toEvent(
      type,
      { ...parseData(message.data), ...(eventId ? { eventId } : {}) },
      message.data,
    );
    try {
      const stored = await this.options.ingest(this.options.tenantId, event);
      this.log.info({ type, key: event.key, messageId, duplicate: !stored }, 'dingtalk event received');
      return EventAck.SUCCESS;
    } catch (err) {
      this.log.warn(
        { err, type, key: event.key, messageId },
        'dingtalk event not stored, asking for redelivery',
      );
      return EventAck.LATER;
    }
  }
}

/** Stream `data` is a JSON object string; anything else is kept out of the payload, not fatal. */
function parseData(data: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(data);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  return {};
}

interface GatewayClientOptions {
  clientId: string;
  clientSecret: string;
  gatewayUrl: string;
  openTimeoutMs: number;
  isStopped: () => boolean;
  onEvent: (message: DWClientDownStream) => void;
  log: Logger;
}

/**
 * The SDK's client with four overrides, each for a gap in dingtalk-stream 2.1.5:
 * - `getEndpoint`: the SDK posts to the hardcoded `GATEWAY_URL` (api.dingtalk.com) with no option to
 *   change it, so `connections/open` is called here against `gatewayUrl`.
 * - `onEvent`: the SDK acks synchronously with the listener's return value; we ack after the store.
 * - `connect`: the SDK's retry timers call `connect()` even after `disconnect()` (which then
 *   reconnects), and a failed WebSocket schedules two retries (its `error` and `close` both do);
 *   here a stopped client never connects and only one attempt runs at a time.
 * - `onDownStream`: an unparsable frame would throw out of the socket handler and crash the process.
 */
class GatewayClient extends DWClient {
  private attempt: Promise<void> | undefined;
  private failures = 0;

  constructor(private readonly o: GatewayClientOptions) {
    // debug stays off: the SDK's debug output prints its config, secret included. keepAlive stays
    // off: its heartbeat timer is not cleared on reconnect; the gateway's SYSTEM pings keep us alive.
    super({
      clientId: o.clientId,
      clientSecret: o.clientSecret,
      debug: false,
      keepAlive: false,
      ua: 'orgmail',
    });
    // Explicit rather than the SDK's shared default array. EVENT supports only topic "*".
    this.config.subscriptions = [{ type: 'EVENT', topic: '*' }];
  }

  override connect(): Promise<void> {
    if (this.o.isStopped() || this.connected) return Promise.resolve();
    this.attempt ??= super.connect().finally(() => (this.attempt = undefined));
    return this.attempt;
  }

  override async getEndpoint(): Promise<this> {
    if (this.o.isStopped()) throw new Error('stopped');
    let ticketUrl: string;
    try {
      ticketUrl = await this.openConnection();
    } catch (err) {
      // The SDK retries every second without a word; say so once per outage, not every second.
      if (this.failures++ === 0)
        this.o.log.warn({ err }, 'dingtalk stream connections/open failed, retrying');
      else
        this.o.log.debug({ err, failures: this.failures }, 'dingtalk stream connections/open failed again');
      throw err;
    }
    if (this.o.isStopped()) throw new Error('stopped');
    if (this.failures > 0)
      this.o.log.info({ failures: this.failures }, 'dingtalk stream gateway reachable again');
    this.failures = 0;
    // `_connect()` opens the WebSocket at this SDK field; it has no setter.
    (this as unknown as { dw_url: string }).dw_url = ticketUrl;
    return this;
  }

  override onEvent(message: DWClientDownStream): void {
    this.o.onEvent(message);
  }

  override onDownStream(data: string): void {
    try {
      super.onDownStream(data);
    } catch (err) {
      this.o.log.warn({ err }, 'dingtalk stream frame could not be read, ignored');
    }
  }

  /** The ack frame of doc §4.4; SDK `send()` wraps it. A closed or reconnecting socket just drops it. */
  ack(messageId: string, status: EventAck): void {
    try {
      this.send(messageId, { status, message: status === EventAck.SUCCESS ? 'success' : 'later' });
    } catch (err) {
      // Unacked events are redelivered by DingTalk and de-duplicated by the store.
      this.o.log.debug({ err, messageId }, 'dingtalk stream ack not sent');
    }
  }

  /** `POST connections/open` → `{endpoint, ticket}` (doc §4.4); the ticket is single use. */
  private async openConnection(): Promise<string> {
    const res = await fetch(this.o.gatewayUrl, {
      method: 'POST',
      // Without Accept the gateway may answer XML (SDK comment).
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        clientId: this.config.clientId,
        clientSecret: this.config.clientSecret,
        ua: this.config.ua,
        subscriptions: this.config.subscriptions,
      }),
      signal: AbortSignal.timeout(this.o.openTimeoutMs),
    });
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    const { endpoint, ticket } = body;
    if (!res.ok || typeof endpoint !== 'string' || typeof ticket !== 'string') {
      // DingTalk's `code` and `message` only: the request (with the secret) is never echoed.
      throw new Error(
        `connections/open answered HTTP ${res.status} ${String(body.code ?? '')} ${String(body.message ?? '')}`.trim(),
      );
    }
    const url = new URL(endpoint);
    url.searchParams.set('ticket', ticket);
    return url.toString();
  }
}
