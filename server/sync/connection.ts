// A client's sync connection as the rooms see it — its socket, who it is, whether it may write, the
// awareness clients it speaks for — and the ways to talk to it: send a frame (to it, or to all of a
// room's connections), close with a code.
import type { WebSocket } from 'ws';

export interface Connection {
  readonly socket: WebSocket;
  readonly userId: string;
  /** The account's name (a guest's display name): what others see in presence. */
  readonly userName: string;
  /** Whether this connection may change the document; re-checked when roles change. */
  write: boolean;
  refusedWrites: number;
  /** Awareness client ids this connection speaks for, removed when it leaves. */
  readonly awarenessIds: Set<number>;
}

export function isConnection(value: unknown): value is Connection {
  return typeof value === 'object' && value !== null && 'awarenessIds' in value && 'socket' in value;
}

export function send(conn: Connection, message: Uint8Array): void {
  if (conn.socket.readyState !== conn.socket.OPEN) return;
  conn.socket.send(message, (err) => {
    if (err) conn.socket.terminate();
  });
}

/** Sends to every connection but `except` (the one a change came from, if any). */
export function sendToAll(connections: Iterable<Connection>, message: Uint8Array, except?: unknown): void {
  for (const conn of connections) {
    if (conn !== except) send(conn, message);
  }
}

export function close(conn: Connection, code: number, reason: string): void {
  closeSocket(conn.socket, code, reason);
}

/** Closes a socket with a reason cut to the 123 bytes a close frame holds (ws throws beyond). */
export function closeSocket(socket: WebSocket, code: number, reason: string): void {
  if (socket.readyState !== socket.OPEN && socket.readyState !== socket.CONNECTING) return;
  let cut = reason;
  while (Buffer.byteLength(cut) > 123) cut = cut.slice(0, -1);
  socket.close(code, cut);
}
