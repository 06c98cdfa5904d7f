// Errors as `{ "error": { "code", "message" } }` with a 4xx/5xx status, from one middleware.
// A request ends with an HttpError (server/errors.ts); the few errors of lower layers that name a
// client's mistake are translated here, by class; anything else is a 500 and is logged.
import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';
import { HttpError } from '../errors.ts';
import { KernelLimitError, KernelSpecNotFoundError, NoSuchKernelError } from '../kernels/errors.ts';
import type { Logger } from '../log.ts';
import { NotebookFormatError } from '../notebooks/nbformat.ts';

/** The HttpError an error of another layer stands for, if it is a client's mistake. */
function asHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof KernelLimitError) return new HttpError(err.status, 'kernel_limit', err.message);
  if (err instanceof NoSuchKernelError) return new HttpError(err.status, 'no_such_kernel', err.message);
  if (err instanceof KernelSpecNotFoundError) return new HttpError(err.status, 'kernel_spec_not_found', err.message);
  if (err instanceof NotebookFormatError) return new HttpError(err.status, err.code, err.message);
  return undefined;
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
    const http = asHttpError(err);
    if (http) {
      if (http.status >= 500) log.error({ err, path: req.path, address: req.ip }, http.message);
      if (http.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(http.retryAfterSeconds));
      sendError(res, http.status, http.code, http.message);
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
