// One y-websocket connection per document, with its state reported in words. Refusals
// (4401/4403/4404/4410..., see shared/closeCodes.ts isRefusal) stop reconnecting: retrying cannot
// fix them and would only loop — a refused write would be sent again on every reconnect.
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { closeMeaning, CloseCode, isRefusal } from '../../shared/closeCodes.ts';
import { serverPath } from '../baseUrl.ts';
import type { WidgetMessage } from '../../shared/widgetMessages.ts';
import { encodeWidgetMessage, readWidgetMessage, WIDGET_MESSAGE } from '../../shared/widgetMessages.ts';

export type ConnectionState = 'connecting' | 'connected' | 'synced' | 'offline' | 'refused';

export interface DocConnection {
  readonly doc: Y.Doc;
  readonly provider: WebsocketProvider;
  readonly state: ConnectionState;
  /** Why the server refused us, when state is `refused`. */
  readonly refusal: string | undefined;
  /** The close code and reason of the refusal, for views that react to one in particular. */
  readonly closedBy: { code: number; reason: string } | undefined;
  /** Resolves on the first completed sync. */
  readonly synced: Promise<void>;
  onChange(listener: () => void): () => void;
  /** Widget custom messages (and refusals of ours) arriving on this document's socket. */
  onWidgetMessage(listener: (message: WidgetMessage) => void): () => void;
  /** Sends a widget message on this document's socket; false when it is not connected. */
  sendWidgetMessage(message: WidgetMessage): boolean;
  destroy(): void;
}

export function syncUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${serverPath('/sync')}`;
}

export function connectDoc(room: string, options: { doc?: Y.Doc; url?: string } = {}): DocConnection {
  const doc = options.doc ?? new Y.Doc();
  const provider = new WebsocketProvider(options.url ?? syncUrl(), room, doc, {
    // Each tab must hold its own server connection: the server grants rights per connection.
    disableBc: true,
    shouldReconnect: (event) => !isRefusal(event.code),
  });
  const listeners = new Set<() => void>();
  const widgetListeners = new Set<(message: WidgetMessage) => void>();
  // Widget messages share the socket with y-websocket's own types (shared/widgetMessages.ts).
  provider.messageHandlers[WIDGET_MESSAGE] = (_encoder, decoder) => {
    let message: WidgetMessage;
    try {
      message = readWidgetMessage(decoder);
    } catch (error) {
      console.error(`a malformed widget message on ${room}`, error);
      return;
    }
    for (const listener of widgetListeners) listener(message);
  };
  let state: ConnectionState = 'connecting';
  let refusal: string | undefined;
  let closedBy: { code: number; reason: string } | undefined;
  const set = (next: ConnectionState) => {
    if (state === next) return;
    state = next;
    for (const listener of listeners) listener();
  };

  let resolveSynced: () => void = () => undefined;
  const synced = new Promise<void>((resolve) => (resolveSynced = resolve));

  provider.on('status', ({ status }) => {
    if (state === 'refused') return;
    if (status === 'connected') set(provider.synced ? 'synced' : 'connected');
    else if (status === 'connecting') set(state === 'offline' ? 'offline' : 'connecting');
    else set('offline');
  });
  provider.on('sync', (isSynced: boolean) => {
    if (isSynced) {
      resolveSynced();
      if (state !== 'refused') set('synced');
    }
  });
  provider.on('connection-close', (event) => {
    if (!event) return;
    const code = event.code;
    if (isRefusal(code)) {
      // y-websocket already stopped; say so explicitly so no later connect() loops.
      provider.shouldConnect = false;
      closedBy = { code, reason: event.reason ?? '' };
      // A revocation with a reason (e.g. the end of a live session) says more than the generic text.
      const revokedWhy = code === CloseCode.Revoked && event.reason ? `${event.reason.charAt(0).toUpperCase()}${event.reason.slice(1)}.` : undefined;
      const meaning = closeMeaning(code);
      const serverWhy = meaning?.writeRefused && event.reason ? ` (${event.reason})` : '';
      refusal =
        revokedWhy ??
        (meaning?.tellUser ? meaning.tellUser + serverWhy : `The server closed the connection: ${meaning?.reason ?? event.reason ?? code}.`);
      set('refused');
    } else if (state !== 'refused') {
      set('offline');
    }
  });

  return {
    doc,
    provider,
    get state() {
      return state;
    },
    get refusal() {
      return refusal;
    },
    get closedBy() {
      return closedBy;
    },
    synced,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onWidgetMessage(listener) {
      widgetListeners.add(listener);
      return () => widgetListeners.delete(listener);
    },
    sendWidgetMessage(message) {
      const ws = provider.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN || !provider.wsconnected) return false;
      ws.send(encodeWidgetMessage(message));
      return true;
    },
    destroy() {
      listeners.clear();
      widgetListeners.clear();
      provider.destroy();
      doc.destroy();
    },
  };
}
