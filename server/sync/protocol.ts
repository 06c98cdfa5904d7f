// The y-websocket wire protocol: a varuint message type, then the payload.
// Sync payloads are y-protocols sync messages (step 1: state vector; step 2 and update: a Yjs update).
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import type { WidgetMessage } from '../../shared/widgetMessages.ts';
import { readWidgetMessage, WIDGET_MESSAGE, WidgetMessageError } from '../../shared/widgetMessages.ts';

export const MessageType = { Sync: 0, Awareness: 1, Auth: 2, QueryAwareness: 3, Widget: WIDGET_MESSAGE } as const;
export const SyncType = {
  Step1: syncProtocol.messageYjsSyncStep1,
  Step2: syncProtocol.messageYjsSyncStep2,
  Update: syncProtocol.messageYjsUpdate,
} as const;

/** A client message that breaks the sync protocol (Yjs sync, awareness, widget frames). Not the kernels' wire `ProtocolError`. */
export class SyncMessageError extends Error {}

export type ClientMessage =
  | { type: 'sync-step1'; stateVector: Uint8Array }
  | { type: 'sync-update'; update: Uint8Array; step: 'step2' | 'update' }
  | { type: 'awareness'; update: Uint8Array }
  | { type: 'query-awareness' }
  | { type: 'auth' }
  /** A widget's custom message for the kernel (shared/widgetMessages.ts). */
  | { type: 'widget-custom'; message: Extract<WidgetMessage, { kind: 'custom' }> };

/** Decodes one whole client message; anything else (trailing bytes, unknown types) is a SyncMessageError. */
export function decodeClientMessage(data: Uint8Array): ClientMessage {
  try {
    const decoder = decoding.createDecoder(data);
    const type = decoding.readVarUint(decoder);
    let message: ClientMessage;
    switch (type) {
      case MessageType.Sync: {
        const syncType = decoding.readVarUint(decoder);
        const payload = decoding.readVarUint8Array(decoder);
        if (syncType === SyncType.Step1) message = { type: 'sync-step1', stateVector: payload };
        else if (syncType === SyncType.Step2) message = { type: 'sync-update', update: payload, step: 'step2' };
        else if (syncType === SyncType.Update) message = { type: 'sync-update', update: payload, step: 'update' };
        else throw new SyncMessageError(`unknown sync message type ${syncType}`);
        break;
      }
      case MessageType.Awareness:
        message = { type: 'awareness', update: decoding.readVarUint8Array(decoder) };
        break;
      case MessageType.QueryAwareness:
        message = { type: 'query-awareness' };
        break;
      case MessageType.Auth:
        // y-protocols auth: a varuint (0: permission denied) and a reason we do not use. Clients
        // have no reason to send one; it is read whole like any other, trailing bytes refused.
        decoding.readVarUint(decoder);
        decoding.readVarString(decoder);
        message = { type: 'auth' };
        break;
      case MessageType.Widget: {
        const widget = readWidgetMessage(decoder);
        if (widget.kind !== 'custom') throw new SyncMessageError('clients may send only custom widget messages');
        message = { type: 'widget-custom', message: widget };
        break;
      }
      default:
        throw new SyncMessageError(`unknown message type ${type}`);
    }
    if (decoding.hasContent(decoder)) throw new SyncMessageError('trailing bytes after message');
    return message;
  } catch (err) {
    if (err instanceof SyncMessageError) throw err;
    if (err instanceof WidgetMessageError) throw new SyncMessageError(err.message);
    throw new SyncMessageError(`undecodable message: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function message(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  write(encoder);
  return encoding.toUint8Array(encoder);
}

export const encodeSyncStep1 = (stateVector: Uint8Array) =>
  message((e) => {
    encoding.writeVarUint(e, MessageType.Sync);
    encoding.writeVarUint(e, SyncType.Step1);
    encoding.writeVarUint8Array(e, stateVector);
  });

export const encodeSyncStep2 = (update: Uint8Array) =>
  message((e) => {
    encoding.writeVarUint(e, MessageType.Sync);
    encoding.writeVarUint(e, SyncType.Step2);
    encoding.writeVarUint8Array(e, update);
  });

export const encodeUpdate = (update: Uint8Array) =>
  message((e) => {
    encoding.writeVarUint(e, MessageType.Sync);
    encoding.writeVarUint(e, SyncType.Update);
    encoding.writeVarUint8Array(e, update);
  });

export const encodeAwareness = (awareness: awarenessProtocol.Awareness, clients: number[]) =>
  message((e) => {
    encoding.writeVarUint(e, MessageType.Awareness);
    encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(awareness, clients));
  });
