// A stock y-websocket `WebsocketProvider` in Node, as a browser would use it.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import * as syncProtocol from 'y-protocols/sync';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { sharedDoc } from '../../shared/layout.ts';
import { eventually } from './eventually.ts';

const MESSAGE_SYNC = 0;

export interface DocClient {
  doc: Y.Doc;
  provider: WebsocketProvider;
  /** Close events seen (code, reason), newest last. */
  closes: Array<{ code: number; reason: string }>;
  synced(timeoutMs?: number): Promise<void>;
  destroy(): void;
}

export function connectDoc(wsUrl: string, room: string, token: string, doc = new Y.Doc()): DocClient {
  const provider = new WebsocketProvider(wsUrl, room, doc, {
    params: { token },
    // `ws` implements the browser WebSocket API the provider uses; their TypeScript types differ.
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  });
  const closes: Array<{ code: number; reason: string }> = [];
  provider.on('connection-close', (event) => {
    if (event) closes.push({ code: event.code, reason: event.reason });
  });
  return {
    doc,
    provider,
    closes,
    synced: (timeoutMs = 10_000) =>
      eventually(() => provider.synced, { timeoutMs, message: `client of ${room} did not sync` }).then(() => undefined),
    destroy: () => {
      provider.destroy();
      doc.destroy();
    },
  };
}

/** Waits until the client was closed by the server with a code, and returns it. */
export function closedWith(client: DocClient, timeoutMs = 10_000): Promise<number> {
  return eventually(() => client.closes[0]?.code, { timeoutMs, message: 'connection was not closed' });
}

/**
 * Resolves once the server has handled everything this client sent so far: it sends a sync step 1
 * on the client's own socket and waits for the answer, which the server gives only after what it
 * accepted before is stored (and so forwarded) — or refused. The marker of an absence check.
 */
export function handledSoFar(client: DocClient, timeoutMs = 10_000): Promise<void> {
  const ws = client.provider.ws as unknown as WebSocket | null;
  if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error('the client is not connected'));
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.off('message', onMessage);
      reject(new Error(`the server did not answer a sync step 1 within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (data: ArrayBuffer | Buffer) => {
      const decoder = decoding.createDecoder(new Uint8Array(data as ArrayBuffer));
      if (decoding.readVarUint(decoder) !== MESSAGE_SYNC || decoding.readVarUint(decoder) !== syncProtocol.messageYjsSyncStep2) return;
      clearTimeout(timer);
      ws.off('message', onMessage);
      resolve();
    };
    ws.on('message', onMessage);
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    syncProtocol.writeSyncStep1(encoder, client.doc);
    ws.send(encoding.toUint8Array(encoder));
  });
}

let markers = 0;

/**
 * Writes a fresh marker (a key of the notebook's metadata) through `writer` and waits until each
 * watcher has it. The server forwards to a socket in the order it handled updates, so anything it
 * handled before the marker — and forwarded — has reached the watchers by then.
 */
export async function markerSeen(writer: DocClient, watchers: DocClient[], timeoutMs = 10_000): Promise<void> {
  const key = `test-marker-${++markers}`;
  const metadataOf = (doc: Y.Doc) => sharedDoc(doc).meta.get('metadata') as Y.Map<unknown> | undefined;
  const metadata = metadataOf(writer.doc);
  if (!metadata) throw new Error('the writer has no notebook metadata to mark');
  metadata.set(key, true);
  for (const watcher of watchers) {
    await eventually(() => metadataOf(watcher.doc)?.get(key) === true, { timeoutMs, message: `marker ${key} did not arrive` });
  }
}
