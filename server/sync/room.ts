// One document in memory while anyone (a client or the server itself) uses it: the connections in
// it, what they send, and the room's lifetime from load (storedState.ts) to destroy.
//
// Every change of the document goes into storeThenBroadcast.ts, which keeps the room's one rule: an
// update is stored before it is sent to anyone. A new client's initial sync waits for that chain.
//
// What a connection sends is untrusted: every message path is wrapped so that bad input closes
// that connection only. A client's update is checked first (clientWrites.ts: size, missing dependencies, schema:
// schemaGuard.ts; document size) and applied only if it passes; presence goes through
// roomPresence.ts and presence.ts. A refused write closes the writer's connection with a code that says why
// (shared/closeCodes.ts) and leaves the document as it was.
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.ts';
import { parseRoom } from '../../shared/rooms.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { DocumentLog } from '../store/types.ts';
import { SHARED_SCHEMA, schemaFor } from './docSchema.ts';
import type { PresenceLimits } from './presence.ts';
import { PresenceThrottle } from './presence.ts';
import type { Connection } from './connection.ts';
import { close, send, sendToAll } from './connection.ts';
import { RoomPresence } from './roomPresence.ts';
import { DocumentSize } from './documentSize.ts';
import type { WriterState } from './clientWrites.ts';
import { ClientWrites } from './clientWrites.ts';
import { decodeClientMessage, encodeAwareness, encodeSyncStep1, encodeSyncStep2 } from './protocol.ts';
import { SchemaGuard } from './schemaGuard.ts';
import type { WidgetMessage } from '../../shared/widgetMessages.ts';
import { encodeWidgetMessage } from '../../shared/widgetMessages.ts';
import { FROM_STORE, StoredState } from './storedState.ts';
import { StoreThenBroadcast } from './storeThenBroadcast.ts';

export interface RoomOptions {
  maxRefusedWrites: number;
  metrics?: Metrics;
  /** Largest single update a client may write. */
  maxWriteBytes: number;
  /** Largest encoded document a client's write may produce. */
  maxDocumentBytes: number;
  presence: PresenceLimits;
  /** Where a client's custom widget messages go (the widget bridge); without it they are refused. */
  widgetMessages?: WidgetMessageSink;
}

export type CustomWidgetMessage = Extract<WidgetMessage, { kind: 'custom' }>;

/** Receives a connection's custom widget messages; checks who sent them, and answers a refusal through `refuse`. */
export type WidgetMessageSink = (room: Room, conn: Connection, message: CustomWidgetMessage) => void;

/** Per-connection state the room keeps while the connection is in it. */
interface Member extends WriterState {
  throttle: PresenceThrottle;
}

export class Room {
  readonly doc = new Y.Doc();
  readonly awareness = new awarenessProtocol.Awareness(this.doc);
  /** Who is here and where their cursors are (roomPresence.ts). */
  private readonly presence: RoomPresence;
  readonly connections = new Set<Connection>();
  private readonly members = new Map<Connection, Member>();
  /** The document's size against --max-document-bytes (documentSize.ts). */
  private readonly size: DocumentSize;
  /** A client's write: checked, then applied or refused (clientWrites.ts). */
  private readonly writes: ClientWrites;
  /** Server-side users of the document (execution), besides connections. */
  leases = 0;
  /** Every change, stored and then sent to the connections (storeThenBroadcast.ts). */
  private readonly chain: StoreThenBroadcast;
  /** The document as loaded from the store (storedState.ts). */
  private readonly stored: StoredState;
  private readonly log: Logger;

  constructor(
    readonly name: string,
    docs: DocumentLog,
    private readonly options: RoomOptions,
    log: Logger,
  ) {
    this.log = log.child({ room: name });
    this.chain = new StoreThenBroadcast(name, docs, this.connections, this.log);
    const room = parseRoom(name);
    this.size = new DocumentSize(this.doc, options.maxDocumentBytes);
    const schema = room ? schemaFor(room) : SHARED_SCHEMA;
    this.stored = new StoredState(this.doc, name, docs, schema, this.size, this.chain, this.log);
    this.writes = new ClientWrites(this.doc, new SchemaGuard(this.doc, schema), this.size, options, this.log, (conn, code, reason) => this.expel(conn, code, reason));
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === FROM_STORE) return;
      this.size.grew(update.byteLength);
      this.stored.changed();
      this.chain.update(update, origin);
    });
    this.presence = new RoomPresence(this.awareness, this.connections, options.presence, this.log, {
      broadcast: (message) => sendToAll(this.connections, message),
      expel: (conn, code, reason) => this.expel(conn, code, reason),
    });
  }

  load(): Promise<void> {
    return this.stored.load();
  }

  /**
   * Sends a message that is not an update (a kernel's custom widget message) to every connection,
   * after every update made so far has been stored and sent.
   */
  sendInOrder(message: Uint8Array): void {
    this.chain.notice(message);
  }

  /** Readers (execution, export) skip malformed entries and say so here; the repair on load should leave none. */
  skipped(what: string): void {
    this.log.warn({ what }, 'a reader skipped a malformed entry of the document');
  }

  /** Resolves when every update made so far is stored (and broadcast). */
  flushed(): Promise<void> {
    return this.chain.flushed();
  }

  get inUse(): boolean {
    return this.connections.size > 0 || this.leases > 0;
  }

  /** Adds a connection, greeting it first: if that throws, the connection was never in the room. */
  join(conn: Connection): void {
    send(conn, encodeSyncStep1(Y.encodeStateVector(this.doc)));
    const presence = this.presence.encodeAll();
    if (presence) send(conn, presence);
    this.connections.add(conn);
    this.members.set(conn, {
      throttle: new PresenceThrottle(this.options.presence, (entries) => this.presence.apply(conn, entries)),
      resyncs: 0,
    });
  }

  /** Removes a connection and everything of it: presence, queued presence, membership. */
  leave(conn: Connection): void {
    this.members.get(conn)?.throttle.dispose();
    this.members.delete(conn);
    if (!this.connections.delete(conn)) return;
    if (conn.awarenessIds.size > 0) {
      awarenessProtocol.removeAwarenessStates(this.awareness, [...conn.awarenessIds], 'left');
    }
  }

  /**
   * Handles one binary message from a connection. Whatever goes wrong closes that connection
   * only: the message came from one client, the room is everyone's.
   */
  receive(conn: Connection, data: Uint8Array): void {
    // A connection being closed may still have frames in flight: none of them counts.
    if (!this.connections.has(conn) || conn.socket.readyState !== conn.socket.OPEN) return;
    try {
      this.handle(conn, data);
    } catch (err) {
      this.log.error({ user: conn.userId, err }, 'a message could not be handled; closing its connection');
      this.expel(conn, CloseCode.MalformedMessage, 'message could not be handled');
    }
  }

  /**
   * Closes a connection for what it sent and takes it out of the room at once (its presence
   * too), rather than when its socket finishes closing — which a client can delay.
   */
  private expel(conn: Connection, code: number, reason: string): void {
    close(conn, code, reason);
    this.leave(conn);
  }

  private handle(conn: Connection, data: Uint8Array): void {
    let message;
    try {
      message = decodeClientMessage(data);
    } catch (err) {
      this.log.warn({ user: conn.userId, err: (err as Error).message }, 'malformed sync message; closing connection');
      this.expel(conn, CloseCode.MalformedMessage, 'malformed message');
      return;
    }
    switch (message.type) {
      case 'sync-step1': {
        const stateVector = message.stateVector;
        // Answer once everything in memory is stored: the answer may not carry unstored state.
        this.flushed().then(
          () => {
            if (!this.connections.has(conn)) return;
            try {
              send(conn, encodeSyncStep2(this.stored.missingFrom(stateVector)));
            } catch {
              this.expel(conn, CloseCode.MalformedMessage, 'malformed state vector');
            }
          },
          // The document could not be stored: no answer may carry what is not stored.
          (err: unknown) => this.log.error({ err, user: conn.userId }, 'storing the document failed; sync answer withheld'),
        );
        break;
      }
      case 'sync-update':
        if (!this.chain.broken) this.writes.apply(conn, message.update, this.members.get(conn));
        break;
      case 'awareness':
        this.presence.receive(conn, message.update, this.members.get(conn)?.throttle);
        break;
      case 'query-awareness':
        // Answered even when nobody is present (an empty update), as y-protocols does.
        send(conn, this.presence.encodeAll() ?? encodeAwareness(this.awareness, []));
        break;
      case 'auth':
        break;
      case 'widget-custom':
        if (this.options.widgetMessages) this.options.widgetMessages(this, conn, message.message);
        else send(conn, encodeWidgetMessage({ kind: 'refused', modelId: message.message.modelId, reason: 'widgets are not served here' }));
        break;
    }
  }

  /** Closes every connection (e.g. notebook deleted, server stopping). */
  closeAll(code: number, reason: string): void {
    for (const conn of this.connections) close(conn, code, reason);
  }

  destroy(): void {
    for (const member of this.members.values()) member.throttle.dispose();
    this.members.clear();
    this.awareness.destroy();
    this.doc.destroy();
  }
}


