// WebSocket close codes used by the sync server (private range 4000-4999), named as HTTP statuses.
export const CloseCode = {
  /** Malformed frame or wrong protocol. */
  MalformedMessage: 4400,
  /** No or bad credentials. */
  Unauthorized: 4401,
  /** Authenticated, but not allowed in this room, or kept writing to a read-only document. */
  Forbidden: 4403,
  /** No such notebook (or room name of no known form). */
  NotFound: 4404,
  /** The client's updates keep depending on changes the server does not have, even after a resync. */
  OutOfStep: 4409,
  /** Access was revoked while connected (membership removed, session ended). */
  Revoked: 4410,
  /** A message, or one write (a single sync update), larger than the server accepts. */
  TooLarge: 4413,
  /** A write that breaks the document's schema (e.g. something other than a cell in `cells`). */
  SchemaViolation: 4422,
  /** The user already has as many connections open as the server allows. */
  TooManyConnections: 4429,
  /** A write that would take the document past its size limit. */
  DocumentFull: 4507,
  /** The server is shutting down. */
  GoingAway: 1001,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

export const closeReason: Record<number, string> = {
  4400: 'malformed message',
  4401: 'unauthorized',
  4403: 'forbidden',
  4404: 'unknown notebook',
  4409: 'out of step with the server',
  4410: 'access revoked',
  4413: 'message too large',
  4422: 'change breaks the document schema',
  4429: 'too many connections',
  4507: 'document full',
  1001: 'server shutting down',
};

/**
 * Codes that retrying cannot fix: the client must not reconnect (it would resend the refused
 * change and be refused again, forever).
 */
export function isRefusal(code: number): boolean {
  return code >= 4400 && code < 4600;
}
