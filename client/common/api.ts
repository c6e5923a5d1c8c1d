import type { ZodType, z } from 'zod';
import type { ErrorEnvelope } from '../../shared/errors';

/**
 * The typed API client: every call names the shared zod schema of its answer (validated here, so a
 * server/client drift shows at once), sends the session's bearer token, and turns the error envelope
 * into an ApiError. A 401 asks `reauthenticate` once (inside DingTalk: a fresh login-free code) and
 * retries the request with the new token.
 */

export const API_BASE = '/api/v1';
const TOKEN_KEY = 'orgmail.session';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface StoredSession {
  token: string;
  expiresAt: string;
  memberName: string;
  email: string | null;
}

let session: StoredSession | null = readStored();
let reauthenticate: (() => Promise<boolean>) | null = null;
const listeners = new Set<() => void>();

function readStored(): StoredSession | null {
  try {
    const raw = localStorage.getItem(TOKEN_KEY);
    return raw ? (JSON.parse(raw) as StoredSession) : null;
  } catch {
    return null;
  }
}

export function currentSession(): StoredSession | null {
  return session;
}

export function setSession(next: StoredSession | null): void {
  session = next;
  try {
    if (next) localStorage.setItem(TOKEN_KEY, JSON.stringify(next));
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Private mode: the session lives in memory only.
  }
  for (const l of listeners) l();
}

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Called on a 401: returns true when a new session was obtained (silently, inside DingTalk). */
export function setReauthenticator(fn: (() => Promise<boolean>) | null): void {
  reauthenticate = fn;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
}

interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Query;
  body?: unknown;
  /** A raw body (uploads); sent as is with its own Content-Type. */
  raw?: { data: Blob; contentType: string };
  signal?: AbortSignal;
  /** Public endpoints (sign-in): no token sent, no re-authentication. */
  anonymous?: boolean;
}

async function send(path: string, o: RequestOptions, retried = false): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (session && !o.anonymous) headers.Authorization = `Bearer ${session.token}`;
  let body: BodyInit | undefined;
  if (o.raw) {
    headers['Content-Type'] = o.raw.contentType;
    body = o.raw.data;
  } else if (o.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(o.body);
  }
  let res: Response;
  try {
    res = await fetch(withQuery(`${API_BASE}${path}`, o.query), {
      method: o.method ?? 'GET',
      headers,
      body,
      signal: o.signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network', (err as Error).message || 'network error');
  }
  if (o.anonymous) return res;
  if (res.status === 401 && session && !retried && reauthenticate) {
    if (await reauthenticate().catch(() => false)) return send(path, o, true);
  }
  if (res.status === 401 && session) setSession(null);
  return res;
}

async function failure(res: Response): Promise<ApiError> {
  let envelope: ErrorEnvelope | undefined;
  try {
    envelope = (await res.json()) as ErrorEnvelope;
  } catch {
    envelope = undefined;
  }
  const e = envelope?.error;
  return new ApiError(res.status, e?.code ?? 'http_' + res.status, e?.message ?? res.statusText, e?.details);
}

/** A JSON call whose answer is checked against `schema` (null: 204 expected). */
export async function api<S extends ZodType>(
  schema: S,
  path: string,
  o: RequestOptions = {},
): Promise<z.output<S>> {
  const res = await send(path, o);
  if (!res.ok) throw await failure(res);
  const json: unknown = await res.json();
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    console.error('Unexpected answer from', path, parsed.error);
    throw new ApiError(res.status, 'bad_response', 'unexpected answer from the server');
  }
  return parsed.data;
}

/** A call answered with 204 (or whose body does not matter). */
export async function apiVoid(path: string, o: RequestOptions = {}): Promise<void> {
  const res = await send(path, o);
  if (!res.ok) throw await failure(res);
}

/** A download with the bearer token, as a Blob (attachments). */
export async function apiBlob(url: string): Promise<Blob> {
  const path = url.startsWith(API_BASE) ? url.slice(API_BASE.length) : url;
  const res = await send(path, {});
  if (!res.ok) throw await failure(res);
  return res.blob();
}
