import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';

import { ProtocolError } from '../../../server/kernels/errors.ts';
import { PROTOCOL_VERSION, createMessage, isMessageType, parentMsgId } from '../../../server/kernels/messages.ts';
import { DELIMITER, decodeMessage, encodeMessage } from '../../../server/kernels/wire.ts';

const KEY = 'a0436f6c-1916-498b-8eb9-e81ab9368e84';
const session = { session: 'sess-1', username: 'alice' };

function executeRequest() {
  return createMessage(
    'execute_request',
    { code: '1+1', silent: false, store_history: true, user_expressions: {}, allow_stdin: true, stop_on_error: true },
    session,
  );
}

/** Re-signs frames after a test tampered with a JSON frame, so only the intended defect remains. */
function resign(frames: Buffer[], key: string): Buffer[] {
  const at = frames.findIndex((f) => f.equals(DELIMITER));
  const hmac = createHmac('sha256', key);
  for (const part of frames.slice(at + 2, at + 6)) hmac.update(part);
  const out = [...frames];
  out[at + 1] = Buffer.from(hmac.digest('hex'));
  return out;
}

describe('wire codec', () => {
  it('round-trips a message and signs it with HMAC-SHA256 over the four JSON frames', () => {
    const msg = executeRequest();
    const frames = encodeMessage(msg, KEY);
    assert.equal(frames.length, 6);
    assert.deepEqual(frames[0], DELIMITER);
    const expected = createHmac('sha256', KEY);
    for (const f of frames.slice(2, 6)) expected.update(f);
    assert.equal(frames[1]?.toString(), expected.digest('hex'));

    const decoded = decodeMessage(frames, KEY, 'shell');
    assert.deepEqual(decoded.header, msg.header);
    assert.deepEqual(decoded.content, msg.content);
    assert.deepEqual(decoded.parent_header, {});
    assert.deepEqual(decoded.metadata, {});
    assert.deepEqual(decoded.buffers, []);
    assert.deepEqual(decoded.identities, []);
    assert.equal(decoded.channel, 'shell');
    assert.equal(decoded.header.version, PROTOCOL_VERSION);
    assert.ok(isMessageType(decoded, 'execute_request'));
    assert.equal(isMessageType(decoded, 'execute_reply'), false);
  });

  it('keeps routing ids before the delimiter and binary buffers after the content', () => {
    const parent = executeRequest();
    const msg = createMessage('comm_msg', { comm_id: 'c1', data: { method: 'update' } }, {
      ...session,
      parent,
      buffers: [Buffer.from([0, 1, 2, 255]), Buffer.alloc(0)],
    });
    msg.identities = [Buffer.from('kernel.abc.comm_msg'), Buffer.from([7, 7])];
    const decoded = decodeMessage(encodeMessage(msg, KEY), KEY);
    assert.deepEqual(decoded.identities, msg.identities);
    assert.deepEqual(decoded.buffers, msg.buffers);
    assert.equal(parentMsgId(decoded), parent.header.msg_id);
    assert.deepEqual(decoded.parent_header, parent.header);
  });

  it('accepts Uint8Array frames as zeromq delivers them', () => {
    const frames = encodeMessage(executeRequest(), KEY).map((b) => new Uint8Array(b));
    assert.equal(decodeMessage(frames, KEY).header.msg_type, 'execute_request');
  });

  it('rejects a bad signature, a tampered frame and a message signed with another key', () => {
    const frames = encodeMessage(executeRequest(), KEY);
    const badSig = [...frames];
    badSig[1] = Buffer.from('0'.repeat(64));
    assert.throws(() => decodeMessage(badSig, KEY), ProtocolError);

    const tampered = [...frames];
    tampered[5] = Buffer.from(JSON.stringify({ code: 'import os; os.system("rm -rf /")' }));
    assert.throws(() => decodeMessage(tampered, KEY), /signature/);

    assert.throws(() => decodeMessage(encodeMessage(executeRequest(), 'other-key'), KEY), /signature/);

    const shortSig = [...frames];
    shortSig[1] = Buffer.from('abc');
    assert.throws(() => decodeMessage(shortSig, KEY), /signature/);
  });

  it('with an empty key sends an empty signature and skips verification (spec: no auth)', () => {
    const frames = encodeMessage(executeRequest(), '');
    assert.equal(frames[1]?.length, 0);
    assert.equal(decodeMessage(frames, '').header.msg_type, 'execute_request');
  });

  it('rejects a missing delimiter and too few frames', () => {
    const frames = encodeMessage(executeRequest(), KEY);
    assert.throws(() => decodeMessage(frames.slice(1), KEY), /delimiter/);
    assert.throws(() => decodeMessage(frames.slice(0, 5), KEY), (e) => e instanceof ProtocolError && /at least 5/.test(e.message));
    assert.throws(() => decodeMessage([], KEY), ProtocolError);
  });

  it('rejects bad JSON and JSON of the wrong shape, never returning half a message', () => {
    const frames = encodeMessage(executeRequest(), KEY);
    const badJson = [...frames];
    badJson[5] = Buffer.from('{not json');
    assert.throws(() => decodeMessage(resign(badJson, KEY), KEY), (e) => e instanceof ProtocolError && /content is not valid JSON/.test(e.message));

    const arrayContent = [...frames];
    arrayContent[5] = Buffer.from('[1,2]');
    assert.throws(() => decodeMessage(resign(arrayContent, KEY), KEY), /content must be an object/);

    const noMsgId = [...frames];
    noMsgId[2] = Buffer.from(JSON.stringify({ msg_type: 'status', session: 's', username: 'u', version: '5.3' }));
    assert.throws(() => decodeMessage(resign(noMsgId, KEY), KEY), /msg_id/);

    const badParent = [...frames];
    badParent[3] = Buffer.from(JSON.stringify({ msg_id: 42 }));
    assert.throws(() => decodeMessage(resign(badParent, KEY), KEY), /parent_header/);
  });

  it('checks the content fields the server relies on for known message types', () => {
    const status = createMessage('status', { execution_state: 'idle' }, session);
    assert.equal(decodeMessage(encodeMessage(status, KEY), KEY).header.msg_type, 'status');
    const header: { msg_type: string } & typeof status.header = status.header;
    const broken = { ...status, header, content: { state: 'idle' } };
    assert.throws(() => decodeMessage(encodeMessage(broken, KEY), KEY), /execution_state/);

    const error = { ...status, header: { ...header, msg_type: 'error' }, content: { ename: 'E', evalue: 'v', traceback: ['a', 1] } };
    assert.throws(() => decodeMessage(encodeMessage(error, KEY), KEY), /traceback/);
  });

  it('passes unknown message types through with their JSON content', () => {
    const msg = executeRequest();
    const frames = encodeMessage({ ...msg, header: { ...msg.header, msg_type: 'debug_event' }, content: { seq: 1 } }, KEY);
    const decoded = decodeMessage(frames, KEY);
    assert.equal(decoded.header.msg_type, 'debug_event');
    assert.deepEqual(decoded.content, { seq: 1 });
  });
});
