// A writer that speaks the y-websocket sync protocol but, once synced, drops what the server
// sends instead of decoding it. Many of them put the full broadcast load on a server while this
// one process (2 cores shared with the server) stays able to measure with a few full clients.
// It only ever appends to its own cell, which needs no remote state after the first sync.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { waitFor } from './procs.ts';

const MESSAGE_SYNC = 0;

export interface LightWriter {
  doc: Y.Doc;
  /** Closes the server made (not ours), with their codes: a soak counts them as disconnects. */
  readonly drops: number[];
  close(): void;
}

export async function lightWriter(wsUrl: string, room: string, token: string): Promise<LightWriter> {
  const doc = new Y.Doc();
  const ws = new WebSocket(`${wsUrl}/${room}?token=${encodeURIComponent(token)}`);
  let synced = false;
  let failed: Error | undefined;
  let closing = false;
  const drops: number[] = [];
  ws.on('error', (error) => (failed = error));
  ws.on('close', (code) => {
    if (!closing) drops.push(code);
  });
  ws.on('open', () => {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    syncProtocol.writeSyncStep1(encoder, doc);
    ws.send(encoding.toUint8Array(encoder));
  });
  ws.on('message', (data: Buffer) => {
    if (synced) return;
    const decoder = decoding.createDecoder(new Uint8Array(data));
    if (decoding.readVarUint(decoder) !== MESSAGE_SYNC) return; // awareness: not needed
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    const type = syncProtocol.readSyncMessage(decoder, encoder, doc, 'remote');
    if (encoding.length(encoder) > 1) ws.send(encoding.toUint8Array(encoder));
    if (type === syncProtocol.messageYjsSyncStep2) synced = true;
  });
  doc.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin === 'remote') return;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    syncProtocol.writeUpdate(encoder, update);
    ws.send(encoding.toUint8Array(encoder));
  });
  await waitFor(() => {
    if (failed) throw failed;
    return synced;
  }, 30_000, `light writer of ${room} to sync`, 5);
  return {
    doc,
    drops,
    close: () => {
      closing = true;
      ws.close();
      doc.destroy();
    },
  };
}
