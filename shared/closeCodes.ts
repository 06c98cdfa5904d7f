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
  /** The server failed (a room that would not load, a store look-up that threw); retrying may work. */
  InternalError: 1011,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** What each code means, in words: the reason the server sends with it and the page shows. */
export const CLOSE_REASONS: Record<CloseCode, string> = {
  [CloseCode.MalformedMessage]: 'malformed message',
  [CloseCode.Unauthorized]: 'unauthorized',
  [CloseCode.Forbidden]: 'forbidden',
  [CloseCode.NotFound]: 'unknown notebook',
  [CloseCode.OutOfStep]: 'out of step with the server',
  [CloseCode.Revoked]: 'access revoked',
  [CloseCode.TooLarge]: 'message too large',
  [CloseCode.SchemaViolation]: 'change breaks the document schema',
  [CloseCode.TooManyConnections]: 'too many connections',
  [CloseCode.DocumentFull]: 'document full',
  [CloseCode.GoingAway]: 'server shutting down',
  [CloseCode.InternalError]: 'server error',
};

/** The words for a code a socket was closed with, if it is one of ours. */
export function closeReason(code: number): string | undefined {
  return (CLOSE_REASONS as Record<number, string | undefined>)[code];
}

/**
 * Codes that retrying cannot fix: the client must not reconnect (it would resend the refused
 * change and be refused again, forever).
 */
export function isRefusal(code: number): boolean {
  return code >= 4400 && code < 4600;
}
