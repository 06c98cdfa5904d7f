// A room's one ordered chain from change to clients: store, then broadcast.
//
// The one rule: an update is appended to the store before it is sent to anyone. Every update —
// from a client or from the server (kernel outputs) — goes through `doc.on('update')` into this
// one ordered chain per room: store, then broadcast. A new client's initial sync waits for the
// chain (`flushed`), so nobody is ever sent state the store does not have. Messages that are not
// state (a widget's custom message from its kernel) take their place in the same chain, so they
// reach clients after every update made before them. A store that fails stops the chain for good
// and closes the room's connections: nothing after a lost write is stored or sent.
import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.ts';
import type { Logger } from '../log.ts';
import type { DocumentLog } from '../store/types.ts';
import type { Connection } from './connection.ts';
import { close, send, sendToAll } from './connection.ts';
import { encodeUpdate } from './protocol.ts';

type Queued = { update: Uint8Array; origin: unknown } | { notice: Uint8Array };

export class StoreThenBroadcast {
  /** Updates made in memory and not yet stored, in order, and messages to send after them. */
  private queue: Queued[] = [];
  /** The single writer: stores everything queued in one batch, then broadcasts it; repeats. */
  private writing: Promise<void> | undefined;
  private failed: Error | undefined;

  constructor(
    /** The room's name: its document's log in the store. */
    private readonly name: string,
    private readonly docs: DocumentLog,
    /** The room's connections, everyone a stored update goes to. */
    private readonly connections: ReadonlySet<Connection>,
    private readonly log: Logger,
  ) {}

  /** An update made in memory: stored, then sent to every connection but the one it came from (`origin`). */
  update(update: Uint8Array, origin: unknown): void {
    this.queue.push({ update, origin });
    this.drain();
  }

  /**
   * Sends a message that is not an update (a kernel's custom widget message) to every connection,
   * after every update made so far has been stored and sent.
   */
  notice(message: Uint8Array): void {
    if (this.failed) return;
    this.queue.push({ notice: message });
    this.drain();
  }

  /** Resolves when every update made so far is stored (and broadcast). */
  flushed(): Promise<void> {
    return this.writing ? this.writing.then(() => this.flushed()) : Promise.resolve();
  }

  /** Whether a store failed: nothing more is stored or sent. */
  get broken(): boolean {
    return this.failed !== undefined;
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
          sendToAll(this.connections, entry.notice);
        }
        if (run.length > 0) this.broadcastBatch(run);
      }
    })().finally(() => {
      this.writing = undefined;
      if (this.queue.length > 0 && !this.failed) this.drain();
    });
  }

  /**
   * One message per connection per batch: under heavy typing a batch holds many small updates,
   * and sending each to every connection costs a socket write apiece. A connection also gets
   * its own updates merged in when others' are in the batch; applying known updates is a no-op.
   */
  private broadcastBatch(batch: ReadonlyArray<{ update: Uint8Array; origin: unknown }>): void {
    if (batch.length === 1) {
      sendToAll(this.connections, encodeUpdate(batch[0]!.update), batch[0]!.origin);
      return;
    }
    const message = encodeUpdate(Y.mergeUpdates(batch.map((entry) => entry.update)));
    for (const conn of this.connections) {
      if (batch.every((entry) => entry.origin === conn)) continue;
      send(conn, message);
    }
  }

  private fail(err: unknown): void {
    this.failed = err instanceof Error ? err : new Error(String(err));
    this.log.error({ err }, 'storing an update failed; closing the room so clients resync from the store');
    for (const conn of this.connections) close(conn, CloseCode.InternalError, 'storage failure');
  }
}
