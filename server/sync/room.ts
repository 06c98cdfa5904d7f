// One document in memory while anyone (a client or the server itself) uses it.
//
// The one rule: an update is appended to the store before it is sent to anyone. Every update —
// from a client or from the server (kernel outputs) — goes through `doc.on('update')` into one
// ordered chain per room: store, then broadcast. A new client's initial sync waits for that chain,
// so nobody is ever sent state the store does not have.
import type { WebSocket } from 'ws';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { DocumentLog } from '../store/types.ts';
import {
  decodeAwarenessEntries,
  decodeClientMessage,
  encodeAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
  ProtocolError,
} from './protocol.ts';

/** Transaction origin of state loaded from the store: not stored again. */
const FROM_STORE = Symbol('from-store');

export interface Connection {
  readonly socket: WebSocket;
  readonly userId: string;
  /** Whether this connection may change the document; re-checked when roles change. */
  write: boolean;
  refusedWrites: number;
  /** Awareness client ids this connection speaks for, removed when it leaves. */
  readonly awarenessIds: Set<number>;
}

export interface RoomOptions {
  maxRefusedWrites: number;
  metrics?: Metrics;
}

export class Room {
  readonly doc = new Y.Doc();
  readonly awareness = new awarenessProtocol.Awareness(this.doc);
  readonly connections = new Set<Connection>();
  /** Server-side users of the document (execution), besides connections. */
  leases = 0;
  /** Updates made in memory and not yet stored, in order. */
  private queue: Array<{ update: Uint8Array; origin: unknown }> = [];
  /** The single writer: stores everything queued in one batch, then broadcasts it; repeats. */
  private writing: Promise<void> | undefined;
  private failed: Error | undefined;
  /**
   * The stored state as loaded, while nothing has changed since: a client that has nothing yet
   * (the usual first sync) gets these bytes as they are, without encoding the document again.
   */
  private asLoaded: Uint8Array | undefined;
  private readonly log: Logger;

  constructor(
    readonly name: string,
    private readonly docs: DocumentLog,
    private readonly options: RoomOptions,
    log: Logger,
  ) {
    this.log = log.child({ room: name });
    this.awareness.setLocalState(null);
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === FROM_STORE) return;
      this.asLoaded = undefined;
      this.queue.push({ update, origin });
      this.drain();
    });
    this.awareness.on('update', ({ added, updated, removed }: AwarenessChange, origin: unknown) => {
      const changed = [...added, ...updated, ...removed];
      if (isConnection(origin) && this.connections.has(origin)) {
        for (const id of added) origin.awarenessIds.add(id);
        for (const id of removed) origin.awarenessIds.delete(id);
      }
      this.broadcast(encodeAwareness(this.awareness, changed), undefined);
    });
  }

  async load(): Promise<void> {
    const update = await this.docs.load(this.name);
    if (update) {
      Y.applyUpdate(this.doc, update, FROM_STORE);
      this.asLoaded = update;
    }
  }

  private drain(): void {
    this.writing ??= (async () => {
      while (this.queue.length > 0 && !this.failed) {
        const batch = this.queue.splice(0);
        try {
          // One LevelDB batch per turn of the loop: under heavy typing, writes do not queue one by one.
          await this.docs.appendMany(this.name, batch.map((entry) => entry.update));
        } catch (err) {
          // Nothing after a lost write may be stored: it could depend on it.
          this.fail(err);
          return;
        }
        this.broadcastBatch(batch);
      }
    })().finally(() => {
      this.writing = undefined;
      if (this.queue.length > 0 && !this.failed) this.drain();
    });
  }

  /** Resolves when every update made so far is stored (and broadcast). */
  flushed(): Promise<void> {
    return this.writing ? this.writing.then(() => this.flushed()) : Promise.resolve();
  }

  get inUse(): boolean {
    return this.connections.size > 0 || this.leases > 0;
  }

  get broken(): boolean {
    return this.failed !== undefined;
  }

  join(conn: Connection): void {
    this.connections.add(conn);
    send(conn, encodeSyncStep1(Y.encodeStateVector(this.doc)));
    const states = [...this.awareness.getStates().keys()];
    if (states.length > 0) send(conn, encodeAwareness(this.awareness, states));
  }

  leave(conn: Connection): void {
    if (!this.connections.delete(conn)) return;
    if (conn.awarenessIds.size > 0) {
      awarenessProtocol.removeAwarenessStates(this.awareness, [...conn.awarenessIds], 'left');
    }
  }

  /** Handles one binary message from a connection. */
  receive(conn: Connection, data: Uint8Array): void {
    let message;
    try {
      message = decodeClientMessage(data);
    } catch (err) {
      this.log.warn({ user: conn.userId, err: (err as Error).message }, 'malformed sync message; closing connection');
      close(conn, CloseCode.MalformedMessage, 'malformed message');
      return;
    }
    switch (message.type) {
      case 'sync-step1': {
        const stateVector = message.stateVector;
        // Answer once everything in memory is stored: the answer may not carry unstored state.
        void this.flushed().then(() => {
          let update: Uint8Array;
          const empty = stateVector.length === 1 && stateVector[0] === 0;
          try {
            update = empty && this.asLoaded ? this.asLoaded : Y.encodeStateAsUpdate(this.doc, stateVector);
          } catch {
            close(conn, CloseCode.MalformedMessage, 'malformed state vector');
            return;
          }
          send(conn, encodeSyncStep2(update));
        });
        break;
      }
      case 'sync-update':
        this.applyClientUpdate(conn, message.update);
        break;
      case 'awareness':
        try {
          const check = this.checkAwareness(conn, message.update);
          if (check === 'echo') return; // y-websocket clients send back what they received: nothing new
          if (check) {
            this.log.warn({ user: conn.userId, refusal: check }, 'awareness update refused');
            return;
          }
          awarenessProtocol.applyAwarenessUpdate(this.awareness, message.update, conn);
        } catch (err) {
          this.log.warn({ user: conn.userId, err: (err as Error).message }, 'malformed awareness update');
          close(conn, CloseCode.MalformedMessage, 'malformed awareness update');
        }
        break;
      case 'query-awareness':
        send(conn, encodeAwareness(this.awareness, [...this.awareness.getStates().keys()]));
        break;
      case 'auth':
        break;
    }
  }

  /**
   * Presence is trusted by others (a student follows the teacher's cursor), so a connection may
   * speak only for its own awareness clients and only under its own user id. Stock y-websocket
   * clients re-send every awareness change they receive; such an echo of another connection's
   * client is dropped quietly ('echo'). Anything else that does not fit is refused with a reason.
   */
  private checkAwareness(conn: Connection, update: Uint8Array): string | undefined {
    for (const { clientID, state } of decodeAwarenessEntries(update)) {
      for (const other of this.connections) {
        if (other !== conn && other.awarenessIds.has(clientID)) return 'echo';
      }
      const user = (state as { user?: { id?: unknown } } | null)?.user;
      if (user?.id !== undefined && user.id !== conn.userId) return `user.id ${String(user.id)} is not the connection's user`;
    }
    return undefined;
  }

  private applyClientUpdate(conn: Connection, update: Uint8Array): void {
    if (this.failed) return;
    if (!conn.write) {
      // A read-only client's sync step 2 repeats what it received: that is not a write.
      if (containsUpdate(this.doc, update)) return;
      conn.refusedWrites++;
      this.options.metrics?.refusedWrites.inc();
      this.log.warn({ user: conn.userId, refused: conn.refusedWrites }, 'write refused: read-only connection');
      if (conn.refusedWrites >= this.options.maxRefusedWrites) {
        close(conn, CloseCode.Forbidden, 'read-only: writes refused');
      }
      return;
    }
    try {
      Y.applyUpdate(this.doc, update, conn);
    } catch (err) {
      this.log.warn({ user: conn.userId, err: (err as Error).message }, 'undecodable update; closing connection');
      close(conn, CloseCode.MalformedMessage, 'malformed update');
    }
  }

  /**
   * One message per connection per batch: under heavy typing a batch holds many small updates,
   * and sending each to every connection costs a socket write apiece. A connection also gets
   * its own updates merged in when others' are in the batch; applying known updates is a no-op.
   */
  private broadcastBatch(batch: ReadonlyArray<{ update: Uint8Array; origin: unknown }>): void {
    if (batch.length === 1) {
      this.broadcast(encodeUpdate(batch[0]!.update), batch[0]!.origin);
      return;
    }
    const message = encodeUpdate(Y.mergeUpdates(batch.map((entry) => entry.update)));
    for (const conn of this.connections) {
      if (batch.every((entry) => entry.origin === conn)) continue;
      send(conn, message);
    }
  }

  private broadcast(message: Uint8Array, origin: unknown): void {
    for (const conn of this.connections) {
      if (conn !== origin) send(conn, message);
    }
  }

  private fail(err: unknown): void {
    this.failed = err instanceof Error ? err : new Error(String(err));
    this.log.error({ err }, 'storing an update failed; closing the room so clients resync from the store');
    for (const conn of this.connections) close(conn, 1011, 'storage failure');
  }

  /** Closes every connection (e.g. notebook deleted, server stopping). */
  closeAll(code: number, reason: string): void {
    for (const conn of this.connections) close(conn, code, reason);
  }

  destroy(): void {
    this.awareness.destroy();
    this.doc.destroy();
  }
}

interface AwarenessChange {
  added: number[];
  updated: number[];
  removed: number[];
}

function isConnection(value: unknown): value is Connection {
  return typeof value === 'object' && value !== null && 'awarenessIds' in value && 'socket' in value;
}

/** Whether applying `update` would change nothing (all its structs and deletions are known). */
function containsUpdate(doc: Y.Doc, update: Uint8Array): boolean {
  try {
    return Y.snapshotContainsUpdate(Y.snapshot(doc), update);
  } catch {
    return false;
  }
}

export function send(conn: Connection, message: Uint8Array): void {
  if (conn.socket.readyState !== conn.socket.OPEN) return;
  conn.socket.send(message, (err) => {
    if (err) conn.socket.terminate();
  });
}

export function close(conn: Connection, code: number, reason: string): void {
  if (conn.socket.readyState === conn.socket.OPEN || conn.socket.readyState === conn.socket.CONNECTING) {
    conn.socket.close(code, reason);
  }
}

export { ProtocolError };
