import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { systemClock, type Clock } from '../../platform/clock';
import type { Logger } from '../../platform/logger';
import { authRoutes } from './auth.handlers';
import { CredentialStore } from './credential-store';
import { directoryRoutes } from './directory.handlers';
import { EventPusher, type CallbackConfig } from './event-pusher';
import { LegacyFaults, legacyRequestId, openApiRequestId } from './legacy-envelope';
import { createLegacyGateway, type LegacyRoutes } from './legacy-gateway';
import { callbackRoutes, notificationRoutes } from './notification.handlers';
import { createOpenApiRouter, openApiError, openApiNotFound } from './open-api.routes';
import { OrgChangeError, OrgModel } from './org-model';
import type { OrgSnapshot } from './org-records';
import { createSandboxAdminRouter } from './sandbox-admin.routes';
import { StreamGateway, type StreamOptions } from './stream-gateway';
import { TrafficControl, type CallStats, type FaultReply } from './traffic-control';
import { WorkNotificationStore } from './work-notification-store';

/**
 * A DingTalk Open Platform stand-in on 127.0.0.1: the legacy (oapi) and new (api) families on one
 * base URL, so the real API client runs unchanged against it (doc §8 is its checklist).
 */

export interface DingTalkEmulatorOptions {
  org: OrgSnapshot;
  appKey: string;
  appSecret: string;
  corpId: string;
  agentId: number;
  /** 0 (default) = a free port. */
  port?: number;
  /** Refuse the 21st call within one second on the same API path (errcode 90018). */
  rateLimit?: boolean;
  callback?: CallbackConfig;
  /** Stream-mode timings (ack timeout, redelivery, pings); tests shorten them. */
  stream?: StreamOptions;
  /** Token, code and notification-day clock; tests pass a ManualClock. */
  clock?: Clock;
  logger?: Logger;
}

export interface RunningEmulator {
  baseUrl: string;
  port: number;
  corpId: string;
  appKey: string;
  agentId: number;
  /** The live org: change methods emit events and are visible to the API at once. */
  org: OrgModel;
  /** Event pushes: `log`, `settled()`, `checkUrl()`, `pushEvent()`. */
  events: EventPusher;
  /** Stream mode: `log`, `settled()`, `connectionCount`, `disconnectAll()`. */
  stream: StreamGateway;
  /** Work notifications as received (`inbox(userid)`). */
  notifications: WorkNotificationStore;
  /** A login-free code for getuserinfo: single use, 5-minute TTL. */
  issueAuthCode(userid: string): string;
  /** The next `times` calls to `path` (e.g. "/topapi/v2/user/list") get `reply` instead of an answer. */
  failNext(path: string, times: number, reply?: FaultReply): void;
  clearFaults(): void;
  /** Every issued token (and jsapi ticket) becomes invalid now. */
  expireAllTokens(): void;
  readonly stats: CallStats;
  resetStats(): void;
  setRateLimit(enabled: boolean): void;
  setCallback(config: CallbackConfig | undefined): void;
  close(): Promise<void>;
}

export async function startDingTalkEmulator(options: DingTalkEmulatorOptions): Promise<RunningEmulator> {
  const clock = options.clock ?? systemClock;
  const now = (): number => clock.now().getTime();
  const org = new OrgModel(options.org, now);
  const credentials = new CredentialStore({ appKey: options.appKey, appSecret: options.appSecret }, now);
  const traffic = new TrafficControl(options.rateLimit ?? false, now);
  const events = new EventPusher(options.corpId, now);
  const notifications = new WorkNotificationStore(org, now);
  const stream = new StreamGateway(
    { corpId: options.corpId, appKey: options.appKey, credentials, now },
    options.stream,
  );
  if (options.callback) events.setCallback(options.callback);
  org.onChange((change) => {
    events.push(change);
    stream.publish(change);
  });

  const issueAuthCode = (userid: string): string => {
    if (!org.getUser(userid)) throw new OrgChangeError('not_found', `no user ${userid}`);
    return credentials.issueAuthCode(userid);
  };

  const routes: LegacyRoutes = new Map([
    ...authRoutes(org, credentials),
    ...directoryRoutes(org),
    ...notificationRoutes({ agentId: options.agentId, notifications }),
    ...callbackRoutes({ corpId: options.corpId, events }),
  ]);

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use((req, res, next) => void countAndInject(traffic, req, res, next));
  app.use(express.json({ limit: '1mb' }));
  app.use(express.urlencoded({ extended: false, limit: '1mb' }));
  app.use(
    createSandboxAdminRouter({
      org,
      events,
      notifications,
      issueAuthCode,
      info: { corpId: options.corpId, agentId: options.agentId, appKey: options.appKey },
    }),
  );
  app.use(createOpenApiRouter({ corpId: options.corpId, credentials, traffic }));
  app.use(stream.router());
  app.use('/v1.0', openApiNotFound);
  app.use(createLegacyGateway({ routes, credentials, traffic, logger: options.logger }));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    // Mostly unparsable bodies: answered in the family's own error shape, never an HTML page.
    if (isOpenApi(req.path))
      return openApiError(res, 400, 'InvalidParameter', (err as Error).message ?? 'bad request');
    if (req.path.startsWith('/__sandbox')) {
      return res
        .status(400)
        .json({ error: { code: 'invalid', message: (err as Error).message ?? 'bad request' } });
    }
    options.logger?.warn({ err, path: req.path }, 'dingtalk emulator rejected a request');
    res.status(200).json(LegacyFaults.invalidParam().toBody());
  });

  const server = createServer(app);
  server.on('upgrade', (req, socket) => stream.handleUpgrade(req, socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  stream.setBaseUrl(`http://127.0.0.1:${port}`);

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    corpId: options.corpId,
    appKey: options.appKey,
    agentId: options.agentId,
    org,
    events,
    stream,
    notifications,
    issueAuthCode,
    failNext: (path, times, reply) => traffic.failNext(path, times, reply),
    clearFaults: () => traffic.clearFaults(),
    expireAllTokens: () => credentials.expireAll(),
    get stats() {
      return traffic.stats;
    },
    resetStats: () => traffic.resetStats(),
    setRateLimit: (enabled) => {
      traffic.rateLimit = enabled;
    },
    setCallback: (config) => events.setCallback(config),
    close: () => {
      stream.close();
      return closeServer(server, events);
    },
  };
}

function isOpenApi(path: string): boolean {
  return path.startsWith('/v1.0/');
}

/** Statistics and injected faults apply to both API families (not to /__sandbox). */
async function countAndInject(
  traffic: TrafficControl,
  req: Request,
  res: Response,
  next: NextFunction,
): Promise<void> {
  if (req.path.startsWith('/__sandbox')) return next();
  traffic.record(req.path);
  const fault = traffic.takeFault(req.path);
  if (!fault) return next();
  if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
  if (fault.destroySocket) {
    req.socket.destroy();
    return;
  }
  // A delay-only fault is a slow answer, not a wrong one.
  if (fault.status === undefined && fault.body === undefined) return next();
  const openApi = isOpenApi(req.path);
  const status = fault.status ?? (openApi ? 500 : 200);
  const body =
    fault.body ??
    (openApi ? { code: 'systemBusy', message: '系统繁忙' } : { errcode: -1, errmsg: '系统繁忙' });
  if (typeof body === 'string') {
    res.status(status).type('text/html').send(body);
    return;
  }
  const withId =
    body && typeof body === 'object' && !Array.isArray(body)
      ? openApi
        ? { requestid: openApiRequestId(), ...body }
        : { ...body, request_id: legacyRequestId() }
      : body;
  res.status(status).json(withId);
}

async function closeServer(server: Server, events: EventPusher): Promise<void> {
  events.close();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
