import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { HealthDto, type ReadinessDto } from '../../../shared/health';
import type { Logger } from '../logger';
import type { ApiRegistry } from './api-router';
import { createErrorHandler, notFoundHandler } from './error-handler';
import { requestId } from './request-id';

export const API_BASE = '/api/v1';

export interface HttpAppOptions {
  logger: Logger;
  bodyLimitBytes: number;
  api: ApiRegistry;
  readiness: () => Promise<ReadinessDto>;
  /** Extra routers mounted before the API (callbacks, static clients). */
  mounts?: { path: string; handler: express.RequestHandler | express.Router }[];
  trustProxy?: boolean | string;
  /** Tests only: unexpected errors carry their message in the envelope. */
  exposeInternals?: boolean;
}

export function createHttpApp(options: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? 'loopback');
  app.set('query parser', 'extended');
  app.use(requestId);
  app.use(
    pinoHttp({
      logger: options.logger.child({ module: 'http' }),
      genReqId: (req) => (req as express.Request).id,
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url.split('?')[0],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(helmet());
  app.use(express.json({ limit: options.bodyLimitBytes }));
  app.use(express.urlencoded({ extended: false, limit: options.bodyLimitBytes }));

  app.get('/healthz', (_req, res) => {
    res.json(HealthDto.parse({ status: 'ok' }));
  });
  app.get('/readyz', async (_req, res) => {
    const readiness = await options.readiness();
    res.status(readiness.status === 'ready' ? 200 : 503).json(readiness);
  });
  app.get(`${API_BASE}/openapi.json`, (_req, res) => {
    res.json(options.api.openApiDocument({ title: 'OrgMail API', version: '1' }));
  });

  for (const mount of options.mounts ?? []) app.use(mount.path, mount.handler);
  app.use(API_BASE, options.api.router);
  app.use(notFoundHandler);
  app.use(createErrorHandler(options.logger, options.exposeInternals));
  return app;
}
