// Widget `custom` messages on the sync socket, beside y-websocket's own message types (0 sync,
// 1 awareness, 2 auth, 3 query-awareness). A custom message is an event, not state (ipywidgets
// protocol 2.1, "Custom messages": a model's `send()` in the kernel, `on_msg` in the browser and
// back), so it is not written into a document: it travels on the socket of the document that
// holds the model, in order with that document's updates.
//
// Frame: varuint WIDGET_MESSAGE, varuint kind, then
//   custom:  varstring model id, varstring JSON content, varuint buffer count, each buffer as var bytes
//   refused: varstring model id, varstring reason (server → client: a custom message not delivered)
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

export const WIDGET_MESSAGE = 100;

export const WidgetMessageKind = { Custom: 0, Refused: 1 } as const;

/** Buffers per message at most; a custom message of a widget carries a handful. */
export const MAX_WIDGET_MESSAGE_BUFFERS = 64;

export type JsonObject = { [key: string]: unknown };

export type WidgetMessage =
  | { kind: 'custom'; modelId: string; content: JsonObject; buffers: Uint8Array[] }
  | { kind: 'refused'; modelId: string; reason: string };

export class WidgetMessageError extends Error {}

export function encodeWidgetMessage(message: WidgetMessage): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, WIDGET_MESSAGE);
  if (message.kind === 'custom') {
    encoding.writeVarUint(encoder, WidgetMessageKind.Custom);
    encoding.writeVarString(encoder, message.modelId);
    encoding.writeVarString(encoder, JSON.stringify(message.content));
    encoding.writeVarUint(encoder, message.buffers.length);
    for (const buffer of message.buffers) encoding.writeVarUint8Array(encoder, buffer);
  } else {
    encoding.writeVarUint(encoder, WidgetMessageKind.Refused);
    encoding.writeVarString(encoder, message.modelId);
    encoding.writeVarString(encoder, message.reason);
  }
  return encoding.toUint8Array(encoder);
}

/**
 * Reads the rest of a widget message whose type varuint was already read from `decoder`. Whatever
 * is not a whole, well-formed message — content that is not a JSON object, too many buffers —
 * throws a WidgetMessageError; the caller decides whether trailing bytes are allowed.
 */
export function readWidgetMessage(decoder: decoding.Decoder): WidgetMessage {
  try {
    const kind = decoding.readVarUint(decoder);
    const modelId = decoding.readVarString(decoder);
    if (kind === WidgetMessageKind.Refused) return { kind: 'refused', modelId, reason: decoding.readVarString(decoder) };
    if (kind !== WidgetMessageKind.Custom) throw new WidgetMessageError(`unknown widget message kind ${kind}`);
    const content: unknown = JSON.parse(decoding.readVarString(decoder));
    if (typeof content !== 'object' || content === null || Array.isArray(content)) {
      throw new WidgetMessageError('a custom widget message must carry a JSON object');
    }
    const count = decoding.readVarUint(decoder);
    if (count > MAX_WIDGET_MESSAGE_BUFFERS) throw new WidgetMessageError(`${count} buffers in one widget message; at most ${MAX_WIDGET_MESSAGE_BUFFERS}`);
    const buffers: Uint8Array[] = [];
    for (let i = 0; i < count; i++) buffers.push(decoding.readVarUint8Array(decoder));
    return { kind: 'custom', modelId, content: content as JsonObject, buffers };
  } catch (err) {
    if (err instanceof WidgetMessageError) throw err;
    throw new WidgetMessageError(`undecodable widget message: ${err instanceof Error ? err.message : String(err)}`);
  }
}
