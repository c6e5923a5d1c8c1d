import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ErrorCodes, type ErrorEnvelope } from '../../../shared/errors';
import { AppError } from '../errors';
import type { Logger } from '../logger';

interface HttpishError {
  type?: string;
  status?: number;
  statusCode?: number;
  code?: string;
}

/** Maps anything thrown to the one error envelope. Postgres and body-parser errors are mapped here, once. */
export function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  const e = err as HttpishError;
  switch (e?.type) {
    case 'entity.too.large':
      return new AppError(ErrorCodes.payloadTooLarge, 413, 'The request body is too large');
    case 'entity.parse.failed':
      return new AppError(ErrorCodes.badRequest, 400, 'The request body is not valid JSON');
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new AppError(ErrorCodes.unsupportedMediaType, 415, 'Unsupported request body encoding');
    case 'request.aborted':
      return new AppError(ErrorCodes.badRequest, 400, 'The request was aborted');
  }
  // PostgreSQL SQLSTATE codes, surfaced by TypeORM's QueryFailedError.
  const sqlState = (err as { driverError?: { code?: string } })?.driverError?.code ?? e?.code;
  if (sqlState === '23505')
    return new AppError(ErrorCodes.conflict, 409, 'That already exists', { cause: err });
  if (sqlState === '23503')
    return new AppError(ErrorCodes.conflict, 409, 'A referenced record does not exist', { cause: err });
  if (sqlState === '22P02' || sqlState === '22007' || sqlState === '22008')
    return new AppError(ErrorCodes.badRequest, 400, 'A value has an invalid format', { cause: err });
  // A deadlock or serialization failure: nothing was written, the same request will most likely pass.
  if (sqlState === '40P01' || sqlState === '40001')
    return new AppError(
      ErrorCodes.unavailable,
      503,
      'The server was busy with a conflicting change, try again',
      {
        cause: err,
        headers: { 'Retry-After': '1' },
      },
    );
  if (sqlState === '57P01' || sqlState === '57P03' || sqlState === '08006' || sqlState === '08001')
    return new AppError(ErrorCodes.unavailable, 503, 'The database is unavailable, try again shortly', {
      cause: err,
    });
  return undefined;
}

export function errorEnvelope(
  code: string,
  message: string,
  requestId: string,
  details?: unknown,
): ErrorEnvelope {
  return { error: { code, message, ...(details === undefined ? {} : { details }), requestId } };
}

/**
 * `exposeInternals` (tests only) puts an unexpected error's message in the envelope's details, so a
 * failing test says what broke instead of "something went wrong".
 */
export function createErrorHandler(logger: Logger, exposeInternals = false): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const requestId = req.id ?? 'unknown';
    const appError = toAppError(err);
    if (!appError) {
      logger.error({ err, requestId, method: req.method, path: req.path }, 'unhandled error');
      const details = exposeInternals
        ? { internal: String((err as Error)?.stack ?? err).slice(0, 2000) }
        : undefined;
      res
        .status(500)
        .json(errorEnvelope(ErrorCodes.internal, 'Something went wrong on our side', requestId, details));
      return;
    }
    if (appError.status >= 500) logger.error({ err, requestId }, appError.message);
    for (const [name, value] of Object.entries(appError.headers ?? {})) res.setHeader(name, value);
    res
      .status(appError.status)
      .json(errorEnvelope(appError.code, appError.message, requestId, appError.details));
  };
}

export const notFoundHandler: RequestHandler = (req, res) => {
  res
    .status(404)
    .json(errorEnvelope(ErrorCodes.notFound, `No route for ${req.method} ${req.path}`, req.id ?? 'unknown'));
};
