// One document in memory while anyone (a client or the server itself) uses it.
//
// The one rule: an update is appended to the store before it is sent to anyone. Every update —
// from a client or from the server (kernel outputs) — goes through `doc.on('update')` into one
// ordered chain per room: store, then broadcast. A new client's initial sync waits for that chain,
// so nobody is ever sent state the store does not have. Messages that are not state (a widget's
// custom message from its kernel) take their place in the same chain, so they reach clients after
// every update made before them.
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
import type { DocSchema } from './docSchema.ts';
import { SCHEMA_VERSION, SHARED_SCHEMA, schemaFor } from './docSchema.ts';
import type { PresenceLimits } from './presence.ts';
import { PresenceThrottle } from './presence.ts';
import type { Connection } from './connection.ts';
import { close, send } from './connection.ts';
import { RoomPresence } from './roomPresence.ts';
import { DocumentSize } from './documentSize.ts';
import type { WriterState } from './clientWrites.ts';
import { ClientWrites } from './clientWrites.ts';
import {
  decodeClientMessage,
  encodeAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
} from './protocol.ts';
import { SchemaGuard } from './schemaGuard.ts';
import type { WidgetMessage } from '../../shared/widgetMessages.ts';
import { encodeWidgetMessage } from '../../shared/widgetMessages.ts';
import { repairDocument } from './schemaRepair.ts';

/** Transaction origin of state loaded from the store: not stored again. */
const FROM_STORE = Symbol('from-store');
/** Transaction origin of the repair on load: stored like any change. */
const REPAIR = Symbol('repair');

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

type Queued = { update: Uint8Array; origin: unknown } | { notice: Uint8Array };

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
  /** The schema of this room's kind of document (docSchema.ts). */
  private readonly schema: DocSchema;
  /** A client's write: checked, then applied or refused (clientWrites.ts). */
  private readonly writes: ClientWrites;
  /** Server-side users of the document (execution), besides connections. */
  leases = 0;
  /** Updates made in memory and not yet stored, in order, and messages to send after them. */
  private queue: Queued[] = [];
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
    const room = parseRoom(name);
    this.size = new DocumentSize(this.doc, options.maxDocumentBytes);
    this.schema = room ? schemaFor(room) : SHARED_SCHEMA;
    this.writes = new ClientWrites(this.doc, new SchemaGuard(this.doc, this.schema), this.size, options, this.log, (conn, code, reason) => this.expel(conn, code, reason));
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === FROM_STORE) return;
      this.size.grew(update.byteLength);
      this.asLoaded = undefined;
      this.queue.push({ update, origin });
      this.drain();
    });
    this.presence = new RoomPresence(this.awareness, this.connections, options.presence, this.log, {
      broadcast: (message) => this.broadcast(message, undefined),
      expel: (conn, code, reason) => this.expel(conn, code, reason),
    });
  }

  async load(): Promise<void> {
    const update = await this.docs.load(this.name);
    if (!update) return;
    Y.applyUpdate(this.doc, update, FROM_STORE);
    this.asLoaded = update;
    this.size.loaded(update.byteLength);
    if ((await this.docs.checkedAgainst(this.name)) !== SCHEMA_VERSION) await this.repair();
  }

  /**
   * Once per document (and schema version): removes what the schema forbids — stored before the
   * guard existed, or by an older server — logging a copy of each removed entry. The removal is
   * an update like any other, stored before the document is marked as checked; every write
   * since passed the guard, so later loads skip this walk over the whole document.
   */
  private async repair(): Promise<void> {
    const removed = repairDocument(this.doc, this.schema, REPAIR);
    if (removed.length > 0) {
      this.log.warn({ removed }, `document repaired on load: ${removed.length} entr${removed.length === 1 ? 'y' : 'ies'} outside the schema removed`);
    }
    await this.flushed();
    if (!this.failed) await this.docs.markChecked(this.name, SCHEMA_VERSION);
  }

  private drain(): void {
    this.writing ??= (async () => {
      while (this.queue.length > 0 && !this.failed) {
        const batch = this.queue.splice(0);
        const updates = batch.flatMap((entry) => ('update' in entry ? [entry.update] : []));
        try {
          // One LevelDB batch per turn of the loop: under heavy typing, writes do not queue one by one.
          if (updates.length > 0) await this.docs.appendMany(this.name, updates);
        } catch (err) {
          // Nothing after a lost write may be stored: it could depend on it.
          this.fail(err);
          return;
        }
        // In order: each run of updates, then the notice that came after it.
        let run: Array<{ update: Uint8Array; origin: unknown }> = [];
        for (const entry of batch) {
          if ('update' in entry) {
            run.push(entry);
            continue;
          }
          if (run.length > 0) this.broadcastBatch(run);
          run = [];
          this.broadcast(entry.notice, undefined);
        }
        if (run.length > 0) this.broadcastBatch(run);
      }
    })().finally(() => {
      this.writing = undefined;
      if (this.queue.length > 0 && !this.failed) this.drain();
    });
  }

  /**
   * Sends a message that is not an update (a kernel's custom widget message) to every connection,
   * after every update made so far has been stored and sent.
   */
  sendInOrder(message: Uint8Array): void {
    if (this.failed) return;
    this.queue.push({ notice: message });
    this.drain();
  }

  /** Readers (execution, export) skip malformed entries and say so here; the repair on load should leave none. */
  skipped(what: string): void {
    this.log.warn({ what }, 'a reader skipped a malformed entry of the document');
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
              const empty = stateVector.length === 1 && stateVector[0] === 0;
              send(conn, encodeSyncStep2(empty && this.asLoaded ? this.asLoaded : Y.encodeStateAsUpdate(this.doc, stateVector)));
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
        if (!this.failed) this.writes.apply(conn, message.update, this.members.get(conn));
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
    for (const conn of this.connections) close(conn, CloseCode.InternalError, 'storage failure');
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


