import type { LegacyEnvelope, NewApiErrorBody } from './dingtalk-types';

/**
 * Turns one DingTalk HTTP exchange into success or a classified failure: retryable or not,
 * throttled (longer back-off), token-invalid (refresh once), and whether the server may already
 * have acted on the request (matters for calls with side effects).
 */

export const TOKEN_INVALID_CODES = new Set([40001, 40014, 42001]);
const BUSY_CODES = new Set([-1]);
const THROTTLE_CODES = new Set([90018, 90002, 90005]);

export interface Failure {
  code: string | number;
  message: string;
  retryable: boolean;
  throttled: boolean;
  tokenInvalid: boolean;
  /** The server may have acted on the request (timeout, 5xx, broken connection). */
  mayHaveRun: boolean;
  details: Record<string, unknown>;
  cause?: unknown;
}

export type Outcome = { ok: true; body: unknown } | { ok: false; failure: Failure };

function failure(partial: Partial<Failure> & Pick<Failure, 'code' | 'message'>): Failure {
  return {
    retryable: false,
    throttled: false,
    tokenInvalid: false,
    mayHaveRun: false,
    details: {},
    ...partial,
  };
}

export function transportFailure(err: unknown, timedOut: boolean, timeoutMs: number): Failure {
  if (timedOut) {
    return failure({
      code: 'timeout',
      message: `DingTalk did not answer within ${timeoutMs} ms`,
      retryable: true,
      mayHaveRun: true,
      cause: err,
    });
  }
  const sysCode = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return failure({
    code: 'network',
    message: `DingTalk request failed: ${(err as Error)?.message ?? String(err)}${sysCode ? ` (${String(sysCode)})` : ''}`,
    retryable: true,
    // A refused connection never reached the server; anything else might have.
    mayHaveRun: sysCode !== 'ECONNREFUSED',
    details: sysCode ? { networkCode: sysCode } : {},
    cause: err,
  });
}

export function httpOrParseFailure(status: number, what: string, cause?: unknown): Failure {
  const serverSide = status >= 500 || status === 429;
  return failure({
    code: status >= 200 && status < 300 ? 'bad_reply' : `HTTP_${status}`,
    message: `DingTalk answered HTTP ${status} with a ${what}`,
    // A 200 with garbage (a proxy or the IP-ban page) is worth another try, like a 5xx.
    retryable: serverSide || (status >= 200 && status < 300),
    throttled: status === 429,
    mayHaveRun: status >= 500 || (status >= 200 && status < 300),
    details: { httpStatus: status },
    cause,
  });
}

function asObject(body: unknown): Record<string, unknown> | undefined {
  return body !== null && typeof body === 'object' && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : undefined;
}

export function classifyLegacy(status: number, raw: unknown): Outcome {
  const body = asObject(raw);
  if (!body) return { ok: false, failure: httpOrParseFailure(status, 'reply that is not a JSON object') };
  if (status >= 500 || status === 429)
    return { ok: false, failure: httpOrParseFailure(status, 'server error') };
  // The per-IP ban answers with this instead of an errcode.
  if (body.punish !== undefined || body.status === 1111) {
    return {
      ok: false,
      failure: failure({
        code: 'ip_throttled',
        message: 'DingTalk throttled this IP address',
        retryable: true,
        throttled: true,
        details: { httpStatus: status },
      }),
    };
  }
  const errcode = body.errcode === undefined ? (status === 200 ? 0 : NaN) : Number(body.errcode);
  if (errcode === 0 && status >= 200 && status < 300) return { ok: true, body };

  const env = body as LegacyEnvelope;
  const subCode = env.sub_code === undefined ? undefined : String(env.sub_code);
  const code = Number.isNaN(errcode) || errcode === 0 ? `HTTP_${status}` : errcode;
  const tokenInvalid =
    TOKEN_INVALID_CODES.has(errcode) ||
    (errcode === 88 && subCode !== undefined && TOKEN_INVALID_CODES.has(Number(subCode)));
  const throttled = THROTTLE_CODES.has(errcode);
  const text = [env.errmsg, env.sub_msg && env.sub_msg !== env.errmsg ? env.sub_msg : undefined]
    .filter(Boolean)
    .join(': ');
  return {
    ok: false,
    failure: failure({
      code,
      message: `DingTalk error ${code}${subCode ? `/${subCode}` : ''}: ${text || 'no message'}`,
      retryable: throttled || BUSY_CODES.has(errcode),
      throttled,
      tokenInvalid,
      details: {
        errcode: code,
        errmsg: env.errmsg,
        subCode,
        subMsg: env.sub_msg,
        requestId: env.request_id,
        httpStatus: status,
      },
    }),
  };
}

export function classifyNew(status: number, raw: unknown): Outcome {
  if (status >= 200 && status < 300) return { ok: true, body: raw };
  const body = (asObject(raw) ?? {}) as NewApiErrorBody;
  const code = typeof body.code === 'string' && body.code !== '' ? body.code : `HTTP_${status}`;
  const throttled = status === 429 || code.startsWith('Forbidden.AccessDenied.QpsLimit');
  const serverSide = status >= 500;
  return {
    ok: false,
    failure: failure({
      code,
      message: `DingTalk error ${code} (HTTP ${status}): ${body.message ?? 'no message'}`,
      retryable: throttled || serverSide || code === 'systemBusy',
      throttled,
      tokenInvalid: status === 400 && code === 'InvalidAuthentication',
      mayHaveRun: serverSide,
      details: { errcode: code, errmsg: body.message, requestId: body.requestid, httpStatus: status },
    }),
  };
}
