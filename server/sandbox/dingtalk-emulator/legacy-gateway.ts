import type { Request, RequestHandler } from 'express';
import type { Logger } from '../../platform/logger';
import type { CredentialStore } from './credential-store';
import { LegacyFault, LegacyFaults, legacyRequestId, type Params } from './legacy-envelope';
import type { TrafficControl } from './traffic-control';

/**
 * The oapi front door: unknown path → errcode 22, QPS limit → 90018, token → errcode 88, then the
 * handler. Every reply is HTTP 200 with `request_id` (doc §0, §8.3).
 */

export interface LegacyRequest {
  params: Params;
  path: string;
}

export type LegacyHandler = (req: LegacyRequest) => Params | Promise<Params>;

export interface LegacyRoute {
  /** false only for /gettoken. */
  auth: boolean;
  handler: LegacyHandler;
}

export type LegacyRoutes = Map<string, LegacyRoute>;

export function createLegacyGateway(deps: {
  routes: LegacyRoutes;
  credentials: CredentialStore;
  traffic: TrafficControl;
  logger?: Logger;
}): RequestHandler {
  return async (req, res) => {
    const path = req.path;
    try {
      const route = deps.routes.get(path);
      if (!route) throw LegacyFaults.unknownApi(path);
      if (deps.traffic.overLimit(path)) throw LegacyFaults.rateLimited();
      const params = readParams(req);
      if (route.auth) {
        const token = firstString(req.query.access_token) ?? formField(req, 'access_token');
        if (!token) throw LegacyFaults.tokenBlank();
        if (!deps.credentials.isValidToken(token)) throw LegacyFaults.tokenInvalid();
      }
      const body = await route.handler({ params, path });
      res.status(200).json({ errcode: 0, errmsg: 'ok', ...body, request_id: legacyRequestId() });
    } catch (err) {
      if (!(err instanceof LegacyFault))
        deps.logger?.error({ err, path }, 'dingtalk emulator handler failed');
      const fault = err instanceof LegacyFault ? err : LegacyFaults.systemBusy();
      res.status(200).json(fault.toBody());
    }
  };
}

/** Query and body merged (body wins); JSON and form bodies alike. */
function readParams(req: Request): Params {
  const params: Params = {};
  for (const [key, value] of Object.entries(req.query)) {
    const first = firstString(value);
    if (first !== undefined) params[key] = first;
  }
  if (req.body && typeof req.body === 'object' && !Array.isArray(req.body)) Object.assign(params, req.body);
  delete params.access_token;
  return params;
}

function firstString(value: unknown): string | undefined {
  if (Array.isArray(value)) return firstString(value[0]);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The legacy gateway reads access_token from a form body, never from a JSON body or a header. */
function formField(req: Request, name: string): string | undefined {
  if (!req.is('application/x-www-form-urlencoded') || !req.body || typeof req.body !== 'object')
    return undefined;
  return firstString((req.body as Params)[name]);
}
