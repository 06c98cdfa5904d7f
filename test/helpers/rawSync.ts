// A bare sync socket for tests that send exactly the frames they mean (malformed, hostile or
// out of order), and read back what the server answers, message by message.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import { eventually } from './eventually.ts';

export type ServerMessage =
  | { type: 'sync-step1'; payload: Uint8Array }
  | { type: 'sync-step2'; payload: Uint8Array }
  | { type: 'update'; payload: Uint8Array }
  | { type: 'awareness'; payload: Uint8Array }
  | { type: 'other'; payload: Uint8Array };

export interface RawSync {
  readonly ws: WebSocket;
  readonly messages: ServerMessage[];
  /** Set once the socket closed. */
  closedWith: { code: number; reason: string } | undefined;
  send(frame: Uint8Array | Buffer | string): void;
  /** Resolves with the close code and reason (rejects after the timeout). */
  closed(timeoutMs?: number): Promise<{ code: number; reason: string }>;
  /** Resolves with the first message (from index `from`) of that type. */
  next(type: ServerMessage['type'], from?: number, timeoutMs?: number): Promise<ServerMessage>;
  /**
   * Sends a query-awareness marker and waits for its answer: every frame sent before it has been
   * handled (the server handles a socket's frames in order). Resolves false if the socket was
   * closed instead.
   */
  roundTrip(timeoutMs?: number): Promise<boolean>;
  close(): void;
}

export function rawSync(wsUrl: string, room: string, token: string, headers: Record<string, string> = {}): Promise<RawSync> {
  const ws = new WebSocket(`${wsUrl}/${room}?token=${encodeURIComponent(token)}`, { headers });
  const messages: ServerMessage[] = [];
  const client: RawSync = {
    ws,
    messages,
    closedWith: undefined,
    send: (frame) => ws.send(frame, { binary: typeof frame !== 'string' }),
    closed: (timeoutMs = 10_000) => eventually(() => client.closedWith, { timeoutMs, message: 'socket was not closed' }),
    next: (type, from = 0, timeoutMs = 10_000) =>
      eventually(() => messages.slice(from).find((m) => m.type === type), { timeoutMs, message: `no ${type} message arrived` }),
    async roundTrip(timeoutMs = 10_000) {
      const from = messages.length;
      if (ws.readyState !== ws.OPEN) return false;
      ws.send(queryAwarenessFrame());
      const answered = await eventually(() => client.closedWith ?? messages.slice(from).find((m) => m.type === 'awareness'), {
        timeoutMs,
        message: 'the marker was not answered',
      });
      return !('code' in answered);
    },
    close: () => ws.close(),
  };
  ws.on('message', (data: Buffer) => messages.push(parseServerMessage(new Uint8Array(data))));
  ws.on('close', (code, reason) => (client.closedWith = { code, reason: reason.toString() }));
  ws.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('close', (code) => reject(new Error(`socket closed before opening (${code})`)));
  });
}

export function parseServerMessage(data: Uint8Array): ServerMessage {
  const decoder = decoding.createDecoder(data);
  const type = decoding.readVarUint(decoder);
  if (type === 1) return { type: 'awareness', payload: decoding.readVarUint8Array(decoder) };
  if (type === 0) {
    const sub = decoding.readVarUint(decoder);
    const payload = decoding.readVarUint8Array(decoder);
    return { type: sub === 0 ? 'sync-step1' : sub === 1 ? 'sync-step2' : 'update', payload };
  }
  return { type: 'other', payload: data };
}

const frame = (write: (e: encoding.Encoder) => void) => {
  const e = encoding.createEncoder();
  write(e);
  return encoding.toUint8Array(e);
};

export const updateFrame = (update: Uint8Array) =>
  frame((e) => {
    encoding.writeVarUint(e, 0);
    encoding.writeVarUint(e, 2);
    encoding.writeVarUint8Array(e, update);
  });

export const syncStep1Frame = (stateVector: Uint8Array) =>
  frame((e) => {
    encoding.writeVarUint(e, 0);
    encoding.writeVarUint(e, 0);
    encoding.writeVarUint8Array(e, stateVector);
  });

/** An awareness message with one state given as raw JSON text (so it can be anything). */
export const awarenessFrame = (clientID: number, clock: number, stateJson: string) =>
  frame((e) => {
    encoding.writeVarUint(e, 1);
    encoding.writeVarUint8Array(
      e,
      frame((inner) => {
        encoding.writeVarUint(inner, 1);
        encoding.writeVarUint(inner, clientID);
        encoding.writeVarUint(inner, clock);
        encoding.writeVarString(inner, stateJson);
      }),
    );
  });

export const queryAwarenessFrame = () => new Uint8Array([3]);

/** A y-protocols auth message (permission denied + reason), optionally with bytes after it. */
export const authFrame = (trailing: number[] = []) =>
  frame((e) => {
    encoding.writeVarUint(e, 2);
    encoding.writeVarUint(e, 0);
    encoding.writeVarString(e, 'reason');
    for (const b of trailing) encoding.writeUint8(e, b);
  });

/** The awareness states of an awareness message: clientID → state (null: removed). */
export function awarenessStates(payload: Uint8Array): Map<number, unknown> {
  const decoder = decoding.createDecoder(payload);
  const states = new Map<number, unknown>();
  const count = decoding.readVarUint(decoder);
  for (let i = 0; i < count; i++) {
    const clientID = decoding.readVarUint(decoder);
    decoding.readVarUint(decoder);
    states.set(clientID, JSON.parse(decoding.readVarString(decoder)));
  }
  return states;
}
