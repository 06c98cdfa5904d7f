// WebSocket close codes of the sync server (private range 4000-4999, named as HTTP statuses), with
// what each means: the reason the server sends and what the page tells its user. The server closes
// with these names, the client reads them back; neither writes a code or a shared reason as a literal.
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

export interface CloseMeaning {
  /** The reason the server sends when it has nothing more specific to say. */
  reason: string;
  /** What the page tells its user when the server refused it with this code. */
  tellUser?: string;
  /** A refusal of one write: the server's own reason (which names the limit) is shown too. */
  writeRefused?: boolean;
}

export const CLOSE_CODES: Record<CloseCode, CloseMeaning> = {
  [CloseCode.MalformedMessage]: { reason: 'malformed message', tellUser: 'The server rejected a malformed message.' },
  [CloseCode.Unauthorized]: { reason: 'unauthorized', tellUser: 'You are not signed in (or your session ended). Sign in again.' },
  [CloseCode.Forbidden]: { reason: 'forbidden', tellUser: 'You are not allowed to open this document.' },
  [CloseCode.NotFound]: { reason: 'unknown notebook', tellUser: 'This notebook does not exist (it may have been deleted).' },
  [CloseCode.OutOfStep]: {
    reason: 'out of step with the server',
    tellUser: 'Your copy of this document is out of step with the server. Your last changes were not saved; reload the page.',
  },
  [CloseCode.Revoked]: { reason: 'access revoked', tellUser: 'Your access to this notebook was revoked.' },
  [CloseCode.TooLarge]: {
    reason: 'message too large',
    tellUser: 'A change was too large for the server and was not saved. Reload the page to continue from the saved version.',
    writeRefused: true,
  },
  [CloseCode.SchemaViolation]: {
    reason: 'change breaks the document schema',
    tellUser: 'The server refused a change that does not fit the notebook’s structure; it was not saved. Reload the page to continue.',
    writeRefused: true,
  },
  [CloseCode.TooManyConnections]: { reason: 'too many connections', tellUser: 'You have too many connections open. Close some tabs, then reload this page.' },
  [CloseCode.DocumentFull]: {
    reason: 'document full',
    tellUser: 'This document is full: your last change was not saved. Reload, then delete something to make room.',
    writeRefused: true,
  },
  [CloseCode.GoingAway]: { reason: 'server shutting down' },
  [CloseCode.InternalError]: { reason: 'server error' },
};

/** What a code a socket was closed with means, if it is one of ours. */
export function closeMeaning(code: number): CloseMeaning | undefined {
  return (CLOSE_CODES as Record<number, CloseMeaning | undefined>)[code];
}

/** The reason (with CloseCode.Revoked) the server gives guests' sockets when the owner ends the live session. */
export const SESSION_ENDED_REASON = 'the live session has ended';

/** Whether a socket was closed because the live session it belonged to ended. */
export function isSessionEnd(closedBy: { code: number; reason: string } | undefined): boolean {
  return closedBy?.code === CloseCode.Revoked && closedBy.reason.toLowerCase().includes(SESSION_ENDED_REASON);
}

/**
 * Codes that retrying cannot fix: the client must not reconnect (it would resend the refused
 * change and be refused again, forever).
 */
export function isRefusal(code: number): boolean {
  return code >= 4400 && code < 4600;
}
