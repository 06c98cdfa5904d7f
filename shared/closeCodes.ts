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
  /** Frame larger than the server accepts. */
  TooLarge: 4413,
  /** Access was revoked while connected (membership removed, session ended). */
  Revoked: 4410,
  /** The server is shutting down. */
  GoingAway: 1001,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

export const closeReason: Record<number, string> = {
  4400: 'malformed message',
  4401: 'unauthorized',
  4403: 'forbidden',
  4404: 'unknown notebook',
  4410: 'access revoked',
  4413: 'message too large',
  1001: 'server shutting down',
};
