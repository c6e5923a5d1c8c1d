import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import express, { type Request, type Response, type Router } from 'express';
import { type z, type ZodType } from 'zod';
import type { Role } from '../../../shared/auth';
import { ErrorCodes, ErrorEnvelope } from '../../../shared/errors';
import { ForbiddenError, UnauthenticatedError, ValidationError } from '../errors';
import type { Actor, Authenticator, RequestContext } from './actor';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** What a download route answers. */
export interface Download {
  contentType: string;
  /** Shown to the user when saving; any characters (sent as an ASCII fallback plus RFC 5987 UTF-8). */
  filename: string;
  body: Buffer | Readable;
  size?: number;
  inline?: boolean;
  headers?: Record<string, string>;
}

/** `attachment; filename="ascii"; filename*=UTF-8''…` so Chinese names survive every browser. */
export function contentDisposition(kind: 'inline' | 'attachment', filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_') || 'download';
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** `public`: no token. Otherwise a verified token, optionally with one of `roles`. */
export type RouteAuth = 'public' | { roles?: Role[]; allowEnrollScope?: boolean };

export interface RouteSpec<
  P extends ZodType,
  Q extends ZodType,
  B extends ZodType,
  R extends ZodType | null,
> {
  method: Method;
  /** Express-style path below /api/v1, e.g. `/members/:id`. */
  path: string;
  summary: string;
  tag: string;
  auth: RouteAuth;
  params?: P;
  query?: Q;
  body?: B;
  /** The response schema; `null` answers 204 with no body. */
  response: R;
  status?: number;
}

type Infer<T> = T extends ZodType ? z.infer<T> : undefined;

export interface HandlerInput<P, Q, B, A> {
  params: P;
  query: Q;
  body: B;
  actor: A;
  ctx: RequestContext;
}

export type Handler<P extends ZodType, Q extends ZodType, B extends ZodType, R extends ZodType | null, A> = (
  input: HandlerInput<Infer<P>, Infer<Q>, Infer<B>, A>,
) => Promise<R extends ZodType ? z.input<R> : void> | (R extends ZodType ? z.input<R> : void);

/**
 * Every API route is declared here: one spec gives validation (with the shared zod schemas),
 * authentication, and its OpenAPI entry, so no endpoint can exist without documentation.
 */
export class ApiRegistry {
  readonly openapi = new OpenAPIRegistry();
  readonly router: Router = express.Router();
  /** Every declared route with its auth, in registration order (also published in OpenAPI as `x-auth`). */
  readonly routes: { method: Method; path: string; auth: RouteAuth }[] = [];

  constructor(
    private readonly authenticator: Authenticator,
    private readonly options: { validateResponses: boolean; basePath: string },
  ) {}

  route<P extends ZodType, Q extends ZodType, B extends ZodType, R extends ZodType | null>(
    spec: RouteSpec<P, Q, B, R> & { auth: 'public' },
    handler: Handler<P, Q, B, R, Actor | undefined>,
  ): void;
  route<P extends ZodType, Q extends ZodType, B extends ZodType, R extends ZodType | null>(
    spec: RouteSpec<P, Q, B, R>,
    handler: Handler<P, Q, B, R, Actor>,
  ): void;
  route<P extends ZodType, Q extends ZodType, B extends ZodType, R extends ZodType | null>(
    spec: RouteSpec<P, Q, B, R>,
    // `never`: each overload's handler is narrower than any single implementation type.
    handler: Handler<P, Q, B, R, never>,
  ): void {
    this.document(spec);
    const status = spec.status ?? (spec.response === null ? 204 : 200);
    this.router[spec.method](spec.path, async (req: Request, res: Response) => {
      const actor =
        spec.auth === 'public' ? await this.optionalActor(req) : await this.requireActor(req, spec.auth);
      const input = {
        params: parse(spec.params, req.params, 'path'),
        query: parse(spec.query, req.query, 'query'),
        body: parse(spec.body, req.body, 'body'),
        actor,
        ctx: contextOf(req),
      } as HandlerInput<Infer<P>, Infer<Q>, Infer<B>, never>;
      const result = await handler(input);
      if (spec.response === null) {
        res.status(status).end();
        return;
      }
      if (this.options.validateResponses) {
        const checked = spec.response.safeParse(result);
        if (!checked.success) {
          throw new Error(
            `Response of ${spec.method.toUpperCase()} ${spec.path} breaks its schema: ${checked.error.message}`,
          );
        }
      }
      res.status(status).json(result);
    });
  }

  /**
   * A file download (raw message, attachment, export): validated and authenticated like any route;
   * the handler returns the bytes and how to name them. Filenames may be Chinese (RFC 5987).
   */
  download<P extends ZodType, Q extends ZodType>(
    spec: Omit<RouteSpec<P, ZodType, ZodType, null>, 'response' | 'body' | 'query' | 'auth'> & {
      auth: Exclude<RouteAuth, 'public'>;
      query?: Q;
      contentType: string;
    },
    handler: (input: HandlerInput<Infer<P>, Infer<Q>, undefined, Actor>) => Promise<Download> | Download,
  ): void {
    this.document({ ...spec, response: null }, spec.contentType);
    this.router[spec.method](spec.path, async (req: Request, res: Response) => {
      const actor = await this.requireActor(req, spec.auth);
      const file = await handler({
        params: parse(spec.params, req.params, 'path') as Infer<P>,
        query: parse(spec.query, req.query, 'query') as Infer<Q>,
        body: undefined,
        actor,
        ctx: contextOf(req),
      });
      res.status(200);
      res.setHeader('Content-Type', file.contentType);
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Cache-Control', 'private, no-store');
      res.setHeader(
        'Content-Disposition',
        contentDisposition(file.inline ? 'inline' : 'attachment', file.filename),
      );
      if (file.size !== undefined) res.setHeader('Content-Length', String(file.size));
      for (const [name, value] of Object.entries(file.headers ?? {})) res.setHeader(name, value);
      if (Buffer.isBuffer(file.body)) {
        res.end(file.body);
        return;
      }
      await pipeline(file.body, res);
    });
  }

  /** For routes that stream or answer non-JSON (downloads, callbacks): documented, handled by hand. */
  raw(
    spec: Omit<RouteSpec<ZodType, ZodType, ZodType, null>, 'response'> & { contentType: string },
    handler: (req: Request, res: Response) => Promise<void> | void,
  ): void {
    this.document({ ...spec, response: null }, spec.contentType);
    this.router[spec.method](spec.path, handler);
  }

  openApiDocument(info: { title: string; version: string }): unknown {
    this.openapi.registerComponent('securitySchemes', 'bearer', {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    return new OpenApiGeneratorV31(this.openapi.definitions).generateDocument({
      openapi: '3.1.0',
      info,
      servers: [{ url: this.options.basePath }],
    });
  }

  private async optionalActor(req: Request): Promise<Actor | undefined> {
    const token = bearer(req);
    return token ? this.authenticator.authenticate(token) : undefined;
  }

  private async requireActor(req: Request, auth: Exclude<RouteAuth, 'public'>): Promise<Actor> {
    const token = bearer(req);
    if (!token) throw new UnauthenticatedError('Sign in first: this request needs a bearer token');
    const actor = await this.authenticator.authenticate(token);
    if (actor.scope !== 'full' && !auth.allowEnrollScope) {
      throw new ForbiddenError(
        'Finish setting up your account (two-factor authentication or a new password) first',
        ErrorCodes.totpEnrollmentRequired,
      );
    }
    if (auth.roles && !auth.roles.some((r) => actor.roles.includes(r))) throw new ForbiddenError();
    return actor;
  }

  private document(
    spec: RouteSpec<ZodType, ZodType, ZodType, ZodType | null>,
    contentType = 'application/json',
  ) {
    const errorResponse = {
      description: 'Error',
      content: { 'application/json': { schema: ErrorEnvelope } },
    };
    const status = spec.status ?? (spec.response === null ? 204 : 200);
    this.routes.push({ method: spec.method, path: spec.path, auth: spec.auth });
    this.openapi.registerPath({
      'x-auth': spec.auth,
      method: spec.method,
      path: this.options.basePath + spec.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}'),
      summary: spec.summary,
      tags: [spec.tag],
      security: spec.auth === 'public' ? [] : [{ bearer: [] }],
      request: {
        ...(spec.params ? { params: spec.params as never } : {}),
        ...(spec.query ? { query: spec.query as never } : {}),
        ...(spec.body ? { body: { content: { 'application/json': { schema: spec.body } } } } : {}),
      },
      responses: {
        [status]:
          spec.response === null
            ? { description: contentType === 'application/json' ? 'No content' : contentType }
            : { description: 'OK', content: { [contentType]: { schema: spec.response } } },
        '4XX': errorResponse,
        '5XX': errorResponse,
      },
    });
  }
}

function bearer(req: Request): string | undefined {
  const header = req.get('authorization');
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new UnauthenticatedError('The Authorization header must be "Bearer <token>"');
  return match[1];
}

function parse<T extends ZodType>(schema: T | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: [where, ...i.path].join('.'), message: i.message }));
  throw new ValidationError(`Invalid ${where}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
    details: { issues },
  });
}

function contextOf(req: Request): RequestContext {
  return { requestId: req.id, ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null };
}
