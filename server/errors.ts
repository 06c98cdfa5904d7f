// The one error a request can end with: an HTTP status, a stable machine-readable code and a
// message for people. Services throw it (they know why a request cannot be served); the REST
// layer's error middleware (server/http/errors.ts) answers it as `{ "error": { code, message } }`.
// It lives outside server/http/ so the layers below the routes can throw it without importing Express.

export interface HttpErrorOptions {
  /** For a 429 that clears with time: sent as `Retry-After`. */
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options: HttpErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
