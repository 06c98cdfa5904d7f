// A client's write to a room's document: refused when the connection may not write, when it is
// larger than one write may be, breaks the schema (schemaGuard.ts), depends on changes the server
// lacks (the client is asked to resync, a few times), or would overfill the document
// (documentSize.ts); applied only when it passes all of them. A refusal closes the writer's
// connection with a code that says why and leaves the document as it was.
import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.ts';
import type { Logger } from '../log.ts';
import type { Connection } from './connection.ts';
import { send } from './connection.ts';
import type { DocumentSize } from './documentSize.ts';
import { encodeSyncStep1 } from './protocol.ts';
import type { RoomOptions } from './room.ts';
import type { SchemaGuard } from './schemaGuard.ts';

/** Resync requests (after updates with missing dependencies) before a connection is closed. */
const MAX_RESYNCS = 3;

/** What the room keeps per writer for this. */
export interface WriterState {
  /** Resyncs asked for since the connection's last accepted update. */
  resyncs: number;
}

export class ClientWrites {
  constructor(
    private readonly doc: Y.Doc,
    private readonly guard: SchemaGuard,
    private readonly size: DocumentSize,
    private readonly options: RoomOptions,
    private readonly log: Logger,
    private readonly expel: (conn: Connection, code: CloseCode, reason: string) => void,
  ) {}

  /** Applies a client's update if it passes every check; otherwise refuses it and tells the writer. */
  apply(conn: Connection, update: Uint8Array, member: WriterState | undefined): void {
    if (!conn.write) {
      // A read-only client's sync step 2 repeats what it received: that is not a write.
      if (containsUpdate(this.doc, update)) return;
      conn.refusedWrites++;
      this.options.metrics?.refusedWrites.inc();
      this.log.warn({ user: conn.userId, refused: conn.refusedWrites }, 'write refused: read-only connection');
      if (conn.refusedWrites >= this.options.maxRefusedWrites) {
        this.expel(conn, CloseCode.Forbidden, 'read-only: writes refused');
      }
      return;
    }
    const { maxWriteBytes, maxDocumentBytes } = this.options;
    if (update.byteLength > maxWriteBytes) {
      this.refuseWrite(conn, CloseCode.TooLarge, `a change of ${bytes(update.byteLength)} is over the limit of ${bytes(maxWriteBytes)} per write`);
      return;
    }
    const verdict = this.guard.check(update);
    if (!verdict.ok) {
      if (verdict.kind === 'missing-dependencies') this.resync(conn, member, verdict.reason);
      else if (verdict.kind === 'schema') this.refuseWrite(conn, CloseCode.SchemaViolation, `refused: ${verdict.reason}`);
      else this.refuseWrite(conn, CloseCode.MalformedMessage, 'malformed update', verdict.reason);
      return;
    }
    if (verdict.addsContent && this.size.wouldExceed(update.byteLength)) {
      this.refuseWrite(conn, CloseCode.DocumentFull, `the document would exceed its limit of ${bytes(maxDocumentBytes)}`);
      return;
    }
    try {
      Y.applyUpdate(this.doc, update, conn);
    } catch (err) {
      this.log.warn({ user: conn.userId, err: (err as Error).message }, 'undecodable update; closing connection');
      this.expel(conn, CloseCode.MalformedMessage, 'malformed update');
      return;
    }
    if (this.doc.store.pendingStructs || this.doc.store.pendingDs) {
      // The guard should have refused it; never keep (and serve) what cannot be stored.
      this.log.error({ user: conn.userId }, 'an accepted update left pending structs; dropped');
      this.doc.store.pendingStructs = null;
      this.doc.store.pendingDs = null;
      this.resync(conn, member, 'pending structs after applying');
      return;
    }
    if (verdict.deletes) this.size.shrank();
    if (member) member.resyncs = 0;
  }

  /**
   * An update that depends on changes we lack is not applied (Yjs would keep it pending, serve
   * it to others, and never store it). Our sync step 1 asks the client for everything it has
   * that we do not, dependencies included; a client that still cannot send them is closed.
   */
  private resync(conn: Connection, member: WriterState | undefined, reason: string): void {
    if (!member) return;
    member.resyncs++;
    this.log.warn({ user: conn.userId, reason, resyncs: member.resyncs }, 'update refused: missing dependencies; asking the client to resync');
    if (member.resyncs > MAX_RESYNCS) {
      this.expel(conn, CloseCode.OutOfStep, 'updates depend on changes the server does not have');
      return;
    }
    send(conn, encodeSyncStep1(Y.encodeStateVector(this.doc)));
  }

  /** Closes the writer's connection, saying why; the document and everyone else are untouched. */
  private refuseWrite(conn: Connection, code: CloseCode, reason: string, detail?: string): void {
    this.log.warn({ user: conn.userId, code, reason: detail ?? reason }, 'write refused; closing the writer\'s connection');
    this.expel(conn, code, reason);
  }
}

/** Whether applying `update` would change nothing (all its structs and deletions are known). */
function containsUpdate(doc: Y.Doc, update: Uint8Array): boolean {
  try {
    return Y.snapshotContainsUpdate(Y.snapshot(doc), update);
  } catch {
    return false;
  }
}

function bytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} bytes`;
}
