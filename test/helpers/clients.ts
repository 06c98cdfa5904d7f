// A stock y-websocket `WebsocketProvider` in Node, as a browser would use it.
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { eventually } from './eventually.ts';

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
