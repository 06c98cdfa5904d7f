// The widget message frame on the sync socket (shared/widgetMessages.ts) and how the server's
// protocol decoder takes it: whole messages only, content a JSON object, bounded buffers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as encoding from 'lib0/encoding';
import { decodeClientMessage, SyncMessageError } from '../../../server/sync/protocol.ts';
import { encodeWidgetMessage, MAX_WIDGET_MESSAGE_BUFFERS, WIDGET_MESSAGE, WidgetMessageKind } from '../../../shared/widgetMessages.ts';

function frame(write: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, WIDGET_MESSAGE);
  write(e);
  return encoding.toUint8Array(e);
}

describe('widget messages on the sync socket', () => {
  it('a custom message round-trips with its buffers', () => {
    const message = { kind: 'custom' as const, modelId: 'm1', content: { event: 'click', n: [1, 2] }, buffers: [new Uint8Array([1, 2, 3]), new Uint8Array()] };
    const decoded = decodeClientMessage(encodeWidgetMessage(message));
    assert.equal(decoded.type, 'widget-custom');
    assert.deepEqual(decoded.type === 'widget-custom' && decoded.message, message);
  });

  it('refuses what is not a whole custom message', () => {
    const bad: Array<[string, Uint8Array]> = [
      ['a refusal (the server sends those)', encodeWidgetMessage({ kind: 'refused', modelId: 'm', reason: 'x' })],
      ['content that is not JSON', frame((e) => { encoding.writeVarUint(e, WidgetMessageKind.Custom); encoding.writeVarString(e, 'm'); encoding.writeVarString(e, '{nope'); encoding.writeVarUint(e, 0); })],
      ['content that is not an object', frame((e) => { encoding.writeVarUint(e, WidgetMessageKind.Custom); encoding.writeVarString(e, 'm'); encoding.writeVarString(e, '[1]'); encoding.writeVarUint(e, 0); })],
      ['too many buffers', frame((e) => { encoding.writeVarUint(e, WidgetMessageKind.Custom); encoding.writeVarString(e, 'm'); encoding.writeVarString(e, '{}'); encoding.writeVarUint(e, MAX_WIDGET_MESSAGE_BUFFERS + 1); })],
      ['a buffer cut short', frame((e) => { encoding.writeVarUint(e, WidgetMessageKind.Custom); encoding.writeVarString(e, 'm'); encoding.writeVarString(e, '{}'); encoding.writeVarUint(e, 1); encoding.writeVarUint(e, 10); })],
      ['an unknown kind', frame((e) => { encoding.writeVarUint(e, 7); encoding.writeVarString(e, 'm'); })],
      ['trailing bytes', new Uint8Array([...encodeWidgetMessage({ kind: 'custom', modelId: 'm', content: {}, buffers: [] }), 0])],
    ];
    for (const [what, data] of bad) assert.throws(() => decodeClientMessage(data), SyncMessageError, what);
  });
});
