// Errors as `{ "error": { "code", "message" } }` with a 4xx/5xx status, from one middleware.
import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';
import type { Logger } from '../log.ts';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Errors from other layers that carry their own status and code (AccessError, UserError, ...). */
interface StatusError extends Error {
  status: number;
  code?: string;
  /** For 429s that clear with time: sent as `Retry-After`. */
  retryAfterSeconds?: number;
}

function hasStatus(err: unknown): err is StatusError {
  return err instanceof Error && typeof (err as Partial<StatusError>).status === 'number';
}

/** `KernelLimitError` → `kernel_limit` when an error has a status but no code of its own. */
function codeOf(err: StatusError): string {
  if (typeof err.code === 'string') return err.code;
  return err.name.replace(/Error$/, '').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase() || 'error';
}

export function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

export function errorMiddleware(log: Logger): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) {
      log.error({ err, path: req.path, address: req.ip }, 'error after response started');
      res.end();
      return;
    }
    if (hasStatus(err) && err.status >= 400 && err.status < 600 && !('type' in err)) {
      if (err.status >= 500) log.error({ err, path: req.path, address: req.ip }, err.message);
      if (typeof err.retryAfterSeconds === 'number') res.setHeader('Retry-After', String(err.retryAfterSeconds));
      sendError(res, err.status, codeOf(err), err.message);
      return;
    }
    // body-parser's errors: `type` says which.
    const bodyError = err as { type?: string; status?: number; message?: string };
    if (bodyError.type === 'entity.parse.failed') {
      sendError(res, 400, 'invalid_json', `request body is not valid JSON: ${bodyError.message ?? ''}`.trim());
      return;
    }
    if (bodyError.type === 'entity.too.large') {
      sendError(res, 413, 'body_too_large', 'request body is larger than the server accepts');
      return;
    }
    if (typeof bodyError.status === 'number' && bodyError.status >= 400 && bodyError.status < 500) {
      sendError(res, bodyError.status, 'bad_request', bodyError.message ?? 'bad request');
      return;
    }
    log.error({ err, path: req.path, method: req.method, address: req.ip }, 'unhandled error in request');
    sendError(res, 500, 'internal', 'internal server error');
  };
}
