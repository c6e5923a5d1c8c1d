import { ErrorCodes, type ErrorCode } from '../../shared/errors';

export interface AppErrorOptions {
  details?: unknown;
  cause?: unknown;
  /** Extra response headers, e.g. Retry-After. */
  headers?: Record<string, string>;
}

/** Every error we answer on purpose. Anything else is a bug and becomes `500 internal`. */
export class AppError extends Error {
  readonly details?: unknown;
  readonly headers?: Record<string, string>;

  constructor(
    readonly code: ErrorCode | string,
    readonly status: number,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details;
    this.headers = options.headers;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super(ErrorCodes.validation, 400, message, options);
  }
}

export class UnauthenticatedError extends AppError {
  constructor(
    message = 'Authentication required',
    code: ErrorCode = ErrorCodes.unauthenticated,
    options: AppErrorOptions = {},
  ) {
    super(code, 401, message, options);
  }
}

export class ForbiddenError extends AppError {
  constructor(
    message = 'You do not have permission to do this',
    code: ErrorCode = ErrorCodes.forbidden,
    options: AppErrorOptions = {},
  ) {
    super(code, 403, message, options);
  }
}

export class NotFoundError extends AppError {
  constructor(what = 'Resource', options: AppErrorOptions = {}) {
    super(ErrorCodes.notFound, 404, `${what} not found`, options);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super(ErrorCodes.conflict, 409, message, options);
  }
}

export class RateLimitedError extends AppError {
  constructor(
    message: string,
    retryAfterSeconds: number,
    code: ErrorCode = ErrorCodes.rateLimited,
    status = 429,
  ) {
    super(code, status, message, {
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    });
  }
}

/** A failure of a system outside ours (DingTalk, a relay, DNS). `retryable` tells callers whether to try again. */
export class UpstreamError extends AppError {
  constructor(
    readonly upstream: string,
    message: string,
    readonly retryable: boolean,
    readonly upstreamCode?: string | number,
    options: AppErrorOptions = {},
  ) {
    super(ErrorCodes.upstream, 502, message, {
      ...options,
      details: { upstream, upstreamCode, retryable, ...(options.details as object | undefined) },
    });
  }
}

/** Errors that stop the process at boot with one clear line (bad config, busy port, unreachable database). */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}
