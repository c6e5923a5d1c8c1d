import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Router } from 'express';
import type { CredentialStore } from './credential-store';
import { openApiError } from './open-api.routes';
import type { OrgChange } from './org-model';
import { acceptKey, encodeFrame, FrameDecoder, Opcode } from './websocket-codec';

/**
 * Stream mode (doc §4.4): `POST /v1.0/gateway/connections/open` → `{endpoint, ticket}` (90 s,
 * single use), then a WebSocket that carries EVENT frames with string `data`, expects an ack per
 * messageId, redelivers on `LATER` or a missing ack, and sends SYSTEM `ping` / `disconnect` frames.
 */

export interface StreamOptions {
  /** An unacked event is sent again after this long; default 5000. */
  ackTimeoutMs?: number;
  /** Wait after a `LATER` ack; default 1000. */
  redeliverDelayMs?: number;
  /** Give up (status `dropped`) after this many sends; default 5. */
  maxDeliveries?: number;
  /** SYSTEM ping interval per connection; default 30000, 0 = never. */
  pingIntervalMs?: number;
  /** Time between a `disconnect` frame and the socket closing; default 10000. */
  disconnectGraceMs?: number;
}

export interface StreamDelivery {
  messageId: string;
  eventId: string;
  eventType: string;
  data: string;
  status: 'pending' | 'acked' | 'dropped';
  deliveries: number;
  /** Settles when acked with SUCCESS or dropped. */
  done: Promise<StreamDelivery>;
}

const TICKET_TTL_MS = 90_000;

interface Connection {
  socket: Duplex;
  events: boolean;
  pings: Set<string>;
  pongs: number;
  pingTimer?: NodeJS.Timeout;
}

interface Pending {
  record: StreamDelivery;
  resolve: (d: StreamDelivery) => void;
  timer?: NodeJS.Timeout;
  on?: Connection;
}

export class StreamGateway {
  readonly log: StreamDelivery[] = [];
  private baseUrl = '';
  private readonly tickets = new Map<string, { expiresAt: number; events: boolean }>();
  private readonly connections = new Set<Connection>();
  private readonly pending = new Map<string, Pending>();
  private readonly waiting: Pending[] = [];
  private everConnected = false;
  private turn = 0;
  private readonly options: Required<StreamOptions>;

  constructor(
    private readonly deps: {
      corpId: string;
      appKey: string;
      credentials: CredentialStore;
      now: () => number;
    },
    options: StreamOptions = {},
  ) {
    this.options = {
      ackTimeoutMs: options.ackTimeoutMs ?? 5000,
      redeliverDelayMs: options.redeliverDelayMs ?? 1000,
      maxDeliveries: options.maxDeliveries ?? 5,
      pingIntervalMs: options.pingIntervalMs ?? 30_000,
      disconnectGraceMs: options.disconnectGraceMs ?? 10_000,
    };
  }

  setBaseUrl(baseUrl: string): void {
    this.baseUrl = baseUrl;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Ping replies seen on all open connections (a client health check for tests). */
  get pongCount(): number {
    return [...this.connections].reduce((n, c) => n + c.pongs, 0);
  }

  router(): Router {
    const router = Router();
    router.post('/v1.0/gateway/connections/open', (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (!this.deps.credentials.checkApp(body.clientId, body.clientSecret)) {
        return openApiError(res, 400, 'invalidClientIdOrSecret', '无效的clientId或者clientSecret');
      }
      const subs = Array.isArray(body.subscriptions)
        ? (body.subscriptions as Array<Record<string, unknown>>)
        : [];
      if (subs.length === 0)
        return openApiError(res, 400, 'MissingSubscriptions', 'subscriptions is required');
      // The EVENT topic supports only "*"; events are picked in the console.
      if (subs.some((s) => s.type === 'EVENT' && s.topic !== '*')) {
        return openApiError(res, 400, 'InvalidParameter', 'EVENT subscriptions only support topic "*"');
      }
      const ticket = randomUUID();
      this.tickets.set(ticket, {
        expiresAt: this.deps.now() + TICKET_TTL_MS,
        events: subs.some((s) => s.type === 'EVENT'),
      });
      res.json({ endpoint: `${this.baseUrl.replace(/^http/, 'ws')}/connect`, ticket });
    });
    return router;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const ticket = this.tickets.get(url.searchParams.get('ticket') ?? '');
    const key = req.headers['sec-websocket-key'];
    if (
      url.pathname !== '/connect' ||
      !ticket ||
      ticket.expiresAt <= this.deps.now() ||
      typeof key !== 'string'
    ) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.tickets.delete(url.searchParams.get('ticket')!);
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`,
    );
    const conn: Connection = { socket, events: ticket.events, pings: new Set(), pongs: 0 };
    this.connections.add(conn);
    this.everConnected = true;
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of decoder.push(chunk)) this.onFrame(conn, frame.opcode, frame.payload);
      } catch {
        socket.destroy();
      }
    });
    // The HTTP server keeps sockets half-open: a client's FIN arrives as 'end', not 'close'.
    socket.on('end', () => this.closeSocket(conn));
    socket.on('close', () => this.drop(conn));
    socket.on('error', () => this.drop(conn));
    if (this.options.pingIntervalMs > 0) {
      conn.pingTimer = setInterval(() => this.ping(conn), this.options.pingIntervalMs);
    }
    this.flushWaiting();
  }

  /** Sends the change to one event-subscribed connection; nothing happens before any client connected. */
  publish(change: OrgChange): StreamDelivery | undefined {
    if (!this.everConnected) return undefined;
    const now = this.deps.now();
    const data = JSON.stringify({
      timeStamp: String(now),
      ...(change.userIds ? { userId: change.userIds } : {}),
      ...(change.deptIds ? { deptId: change.deptIds } : {}),
    });
    let resolve!: (d: StreamDelivery) => void;
    const record: StreamDelivery = {
      messageId: `${randomBytes(4).toString('hex')}_${randomBytes(2).toString('hex')}_${now.toString(16)}_${randomBytes(2).toString('hex')}`,
      eventId: randomBytes(16).toString('hex'),
      eventType: change.eventType,
      data,
      status: 'pending',
      deliveries: 0,
      done: new Promise((r) => (resolve = r)),
    };
    this.log.push(record);
    this.send({ record, resolve });
    return record;
  }

  /** Like the platform before maintenance: a SYSTEM disconnect, then the sockets close. */
  disconnectAll(reason = 'server maintenance'): void {
    for (const conn of this.connections) {
      this.systemFrame(conn, 'disconnect', JSON.stringify({ reason }));
      setTimeout(() => this.closeSocket(conn), this.options.disconnectGraceMs).unref();
    }
  }

  async settled(): Promise<void> {
    while (this.pending.size || this.waiting.length) {
      await Promise.all([...this.pending.values(), ...this.waiting].map((p) => p.record.done));
    }
  }

  close(): void {
    for (const p of [...this.pending.values(), ...this.waiting]) clearTimeout(p.timer);
    for (const conn of this.connections) this.closeSocket(conn);
  }

  private send(p: Pending): void {
    const targets = [...this.connections].filter((c) => c.events);
    if (targets.length === 0) {
      this.waiting.push(p);
      return;
    }
    const conn = targets[this.turn++ % targets.length];
    const { record } = p;
    record.deliveries++;
    p.on = conn;
    this.pending.set(record.messageId, p);
    const now = String(this.deps.now());
    const frame = {
      specVersion: '1.0',
      type: 'EVENT',
      headers: {
        topic: '*',
        messageId: record.messageId,
        contentType: 'application/json',
        time: now,
        eventType: record.eventType,
        eventId: record.eventId,
        eventCorpId: this.deps.corpId,
        eventBornTime: now,
        eventUnifiedAppId: this.deps.appKey,
      },
      data: record.data,
    };
    conn.socket.write(encodeFrame(Opcode.text, JSON.stringify(frame)));
    clearTimeout(p.timer);
    p.timer = setTimeout(() => this.retry(p), this.options.ackTimeoutMs);
  }

  private retry(p: Pending, delayMs = 0): void {
    clearTimeout(p.timer);
    this.pending.delete(p.record.messageId);
    if (p.record.deliveries >= this.options.maxDeliveries) {
      p.record.status = 'dropped';
      p.resolve(p.record);
      return;
    }
    if (delayMs === 0) return this.send(p);
    this.pending.set(p.record.messageId, p);
    p.timer = setTimeout(() => {
      this.pending.delete(p.record.messageId);
      this.send(p);
    }, delayMs);
  }

  private onFrame(conn: Connection, opcode: number, payload: Buffer): void {
    if (opcode === Opcode.ping) return void conn.socket.write(encodeFrame(Opcode.pong, payload));
    if (opcode === Opcode.close) return this.closeSocket(conn);
    if (opcode !== Opcode.text) return;
    let reply: { headers?: { messageId?: string }; data?: string };
    try {
      reply = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    const messageId = reply.headers?.messageId ?? '';
    if (conn.pings.delete(messageId)) {
      conn.pongs++;
      return;
    }
    const p = this.pending.get(messageId);
    if (!p || p.on !== conn) return;
    let status: string;
    try {
      status = (JSON.parse(reply.data ?? '{}') as { status?: string }).status ?? '';
    } catch {
      // An unreadable ack counts as no ack: the timeout redelivers.
      return;
    }
    if (status === 'SUCCESS') {
      clearTimeout(p.timer);
      this.pending.delete(messageId);
      p.record.status = 'acked';
      p.resolve(p.record);
    } else if (status === 'LATER') {
      this.retry(p, this.options.redeliverDelayMs);
    }
  }

  private ping(conn: Connection): void {
    const messageId = randomUUID();
    conn.pings.add(messageId);
    this.systemFrame(conn, 'ping', JSON.stringify({ opaque: randomUUID() }), messageId);
  }

  private systemFrame(conn: Connection, topic: string, data: string, messageId: string = randomUUID()): void {
    const frame = {
      specVersion: '1.0',
      type: 'SYSTEM',
      headers: { topic, messageId, contentType: 'application/json', time: String(this.deps.now()) },
      data,
    };
    conn.socket.write(encodeFrame(Opcode.text, JSON.stringify(frame)));
  }

  private closeSocket(conn: Connection): void {
    if (!conn.socket.destroyed) {
      conn.socket.write(encodeFrame(Opcode.close, Buffer.alloc(0)));
      conn.socket.end();
    }
    this.drop(conn);
  }

  /** In-flight events of a lost connection wait for the next one. */
  private drop(conn: Connection): void {
    if (!this.connections.delete(conn)) return;
    clearInterval(conn.pingTimer);
    for (const p of [...this.pending.values()]) {
      if (p.on !== conn) continue;
      clearTimeout(p.timer);
      this.pending.delete(p.record.messageId);
      this.waiting.push(p);
    }
    if (!conn.socket.destroyed) conn.socket.destroy();
  }

  private flushWaiting(): void {
    for (const p of this.waiting.splice(0)) this.send(p);
  }
}
