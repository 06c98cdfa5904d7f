// Presence in one room: the awareness states (who is here, their cursors) each connection may set —
// bounded and throttled (presence.ts), only for the awareness clients it speaks for — and their
// broadcast to everyone in the room.
import * as awarenessProtocol from 'y-protocols/awareness';
import type { Logger } from '../log.ts';
import type { Connection } from './connection.ts';
import { isConnection } from './connection.ts';
import type { PresenceLimits, PresenceThrottle } from './presence.ts';
import { encodeAwarenessEntries, PresenceError, readAwarenessUpdate } from './presence.ts';
import { encodeAwareness } from './protocol.ts';
import { CloseCode } from '../../shared/closeCodes.ts';

interface AwarenessChange {
  added: number[];
  updated: number[];
  removed: number[];
}

/** What presence needs of its room: to send to everyone, and to close a connection that misbehaves. */
export interface PresenceRoom {
  broadcast(message: Uint8Array): void;
  expel(conn: Connection, code: number, reason: string): void;
}

export class RoomPresence {
  constructor(
    private readonly awareness: awarenessProtocol.Awareness,
    private readonly connections: ReadonlySet<Connection>,
    private readonly limits: PresenceLimits,
    private readonly log: Logger,
    private readonly room: PresenceRoom,
  ) {
    awareness.setLocalState(null);
    awareness.on('update', ({ added, updated, removed }: AwarenessChange, origin: unknown) => {
      const changed = [...added, ...updated, ...removed];
      if (isConnection(origin) && this.connections.has(origin)) {
        for (const id of added) origin.awarenessIds.add(id);
        for (const id of removed) origin.awarenessIds.delete(id);
      }
      room.broadcast(encodeAwareness(awareness, changed));
    });
  }

  receive(conn: Connection, update: Uint8Array, throttle: PresenceThrottle | undefined): void {
    let entries;
    try {
      entries = readAwarenessUpdate(update, { id: conn.userId, name: conn.userName }, this.limits);
    } catch (err) {
      const why = err instanceof PresenceError ? err.message : 'undecodable';
      this.log.warn({ user: conn.userId, refusal: why }, 'awareness update refused; closing connection');
      this.room.expel(conn, CloseCode.MalformedMessage, `awareness refused: ${why}`.slice(0, 120));
      return;
    }
    const own = entries.filter((entry) => this.speaksFor(conn, entry));
    throttle?.submit(own);
  }

  /**
   * Whether a connection may set this awareness client's state: its own clients, or a new one
   * while it has fewer than the limit. Stock y-websocket clients send back every state they
   * receive; such an echo of another connection's client is dropped quietly. A page that
   * reconnects before the server noticed its old socket is gone keeps its awareness client id:
   * a newer state (an echo is never newer) from the same user's new connection takes it over.
   */
  private speaksFor(conn: Connection, { clientID, clock }: { clientID: number; clock: number }): boolean {
    if (conn.awarenessIds.has(clientID)) return true;
    if (conn.awarenessIds.size >= this.limits.maxClientsPerConnection) return false;
    const owner = [...this.connections].find((other) => other !== conn && other.awarenessIds.has(clientID));
    if (!owner) return !this.awareness.getStates().has(clientID);
    if (owner.userId !== conn.userId || clock <= (this.awareness.meta.get(clientID)?.clock ?? 0)) return false;
    owner.awarenessIds.delete(clientID);
    return true;
  }

  apply(conn: Connection, entries: ReturnType<typeof readAwarenessUpdate>): void {
    if (!this.connections.has(conn)) return;
    // Claimed before applying, so a second message before the first change event is still ours.
    for (const { clientID, state } of entries) if (state !== null) conn.awarenessIds.add(clientID);
    awarenessProtocol.applyAwarenessUpdate(this.awareness, encodeAwarenessEntries(entries), conn);
  }

  /**
   * Every state in the room, for a joining client or a query. States were bounded on the way in,
   * so this does not fail; if it ever did, the states that fail are dropped rather than letting
   * one bad state refuse every join.
   */
  encodeAll(): Uint8Array | undefined {
    const clients = [...this.awareness.getStates().keys()];
    if (clients.length === 0) return undefined;
    try {
      return encodeAwareness(this.awareness, clients);
    } catch (err) {
      const bad = clients.filter((client) => {
        try {
          encodeAwareness(this.awareness, [client]);
          return false;
        } catch {
          return true;
        }
      });
      this.log.error({ err, clients: bad }, 'awareness states that cannot be encoded; dropped');
      awarenessProtocol.removeAwarenessStates(this.awareness, bad, 'invalid');
      return this.encodeAll();
    }
  }
}
