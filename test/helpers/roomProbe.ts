// A minimal y-protocols client for authorization tests: it says what a connection may do in a
// room — the close code it got, `r` (it syncs, but a write of its is not stored) or `rw` (its
// write is stored). Raw rather than y-websocket's provider so that a write can be followed by a
// marker on the same connection: the server answers a sync step 1 only once everything it
// accepted before is stored, so when that answer arrives the write was either stored or refused.
import WebSocket from 'ws';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import type { Rooms } from '../../server/sync/rooms.ts';

const MESSAGE_SYNC = 0;

export class RoomProbe {
  readonly doc = new Y.Doc();
  private readonly ws: WebSocket;
  private step2s = 0;
  private waiters: Array<() => void> = [];
  /** The close code, once the server closed the connection (or the upgrade was refused: its HTTP status). */
  closeCode: number | undefined;
  readonly closed: Promise<number>;

  constructor(
    wsUrl: string,
    readonly room: string,
    token: string | undefined,
    headers: Record<string, string> = {},
  ) {
    const query = token === undefined ? '' : `?token=${encodeURIComponent(token)}`;
    this.ws = new WebSocket(`${wsUrl}/${room}${query}`, { headers });
    this.ws.binaryType = 'arraybuffer';
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code) => {
        this.closeCode ??= code; // a refused upgrade's status stays the answer
        this.wake();
        resolve(code);
      });
      this.ws.on('unexpected-response', (_req, res) => {
        this.closeCode = res.statusCode ?? 0;
        this.wake();
        resolve(this.closeCode);
        this.ws.terminate();
      });
    });
    this.ws.on('error', () => undefined); // a refused upgrade also reports an error; the code says it
    this.ws.on('open', () => this.send((e) => syncProtocol.writeSyncStep1(e, this.doc)));
    this.ws.on('message', (data: ArrayBuffer) => this.receive(new Uint8Array(data)));
  }

  private send(write: (encoder: encoding.Encoder) => void): void {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    write(encoder);
    this.ws.send(encoding.toUint8Array(encoder));
  }

  private receive(data: Uint8Array): void {
    const decoder = decoding.createDecoder(data);
    if (decoding.readVarUint(decoder) !== MESSAGE_SYNC) return; // awareness: not ours to judge here
    const reply = encoding.createEncoder();
    encoding.writeVarUint(reply, MESSAGE_SYNC);
    const kind = syncProtocol.readSyncMessage(decoder, reply, this.doc, 'server');
    if (encoding.length(reply) > 1) this.ws.send(encoding.toUint8Array(reply));
    if (kind === syncProtocol.messageYjsSyncStep2) {
      this.step2s++;
      this.wake();
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Waits until the server answered `count` sync step 1s in all, or closed. */
  private async answered(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.step2s < count && this.closeCode === undefined) {
      if (Date.now() > deadline) throw new Error(`no sync answer in room ${this.room} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  /** Waits for the first sync answer or the close: `synced`, or the close code. */
  async settled(timeoutMs = 10_000): Promise<string> {
    await this.answered(1, timeoutMs);
    return this.closeCode !== undefined ? String(this.closeCode) : 'synced';
  }

  /**
   * What this connection may do: its close code if the server refused it, else `rw` or `r`
   * according to whether a write (key `probe.<label>` of the `kernel` map, a part both the shared and the
   * private schema accept with any value) is in the server's document afterwards.
   */
  async outcome(rooms: Rooms, label: string, timeoutMs = 10_000): Promise<string> {
    await this.answered(1, timeoutMs);
    if (this.closeCode !== undefined) return String(this.closeCode);
    const sent = this.step2s;
    const update = captureUpdate(this.doc, () => this.doc.getMap('kernel').set(`probe.${label}`, true));
    this.send((e) => syncProtocol.writeUpdate(e, update));
    this.send((e) => syncProtocol.writeSyncStep1(e, this.doc)); // the marker
    await this.answered(sent + 1, timeoutMs);
    if (this.closeCode !== undefined) return String(this.closeCode);
    const lease = await rooms.acquire(this.room);
    try {
      return lease.room.doc.getMap('kernel').has(`probe.${label}`) ? 'rw' : 'r';
    } finally {
      lease.release();
    }
  }

  /**
   * Makes a change in this connection's copy of the document and resolves once the server has
   * handled it (stored it, or refused it): the marker rule of `outcome`.
   */
  async write(change: (doc: Y.Doc) => void, timeoutMs = 10_000): Promise<void> {
    await this.answered(1, timeoutMs);
    const sent = this.step2s;
    const update = captureUpdate(this.doc, () => change(this.doc));
    this.send((e) => syncProtocol.writeUpdate(e, update));
    this.send((e) => syncProtocol.writeSyncStep1(e, this.doc));
    await this.answered(sent + 1, timeoutMs);
  }

  close(): void {
    this.ws.close();
    this.doc.destroy();
  }
}

function captureUpdate(doc: Y.Doc, change: () => void): Uint8Array {
  let update: Uint8Array | undefined;
  const listen = (u: Uint8Array) => (update = u);
  doc.on('update', listen);
  change();
  doc.off('update', listen);
  if (!update) throw new Error('the change made no update');
  return update;
}
