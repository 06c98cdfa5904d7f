// Presence as the server relays it: bounded, its `user` the account's, rate-limited by coalescing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { AwarenessEntry } from '../../../server/sync/presence.ts';
import {
  DEFAULT_PRESENCE_LIMITS,
  encodeAwarenessEntries,
  jsonDepth,
  paletteColor,
  PresenceError,
  PresenceThrottle,
  readAwarenessUpdate,
} from '../../../server/sync/presence.ts';
import { eventually } from '../../helpers/eventually.ts';

const account = { id: 'u1', name: 'Ada' };
const limits = DEFAULT_PRESENCE_LIMITS;
const one = (state: string, clientID = 7) => encodeRaw([[clientID, 1, state]]);

function encodeRaw(entries: Array<[number, number, string]>): Uint8Array {
  // Through y-protocols' own encoder, so the format is the stock one.
  const doc = new Y.Doc();
  const awareness = new awarenessProtocol.Awareness(doc);
  const parts = entries.map(([clientID, clock, json]) => {
    awareness.states.set(clientID, JSON.parse(json === '' ? 'null' : json) as Record<string, unknown>);
    awareness.meta.set(clientID, { clock, lastUpdated: 0 });
    return clientID;
  });
  const update = awarenessProtocol.encodeAwarenessUpdate(awareness, parts);
  awareness.destroy();
  return update;
}

describe('presence', () => {
  it("replaces user with the account's id and name, keeps a #rrggbb colour, drops the rest of user", () => {
    const [entry] = readAwarenessUpdate(
      one(JSON.stringify({ user: { id: 'someone', name: 'teacher', color: '#ABCDEF', colorLight: 'url(x)', avatar: 'x' }, cursor: { a: 1 } })),
      account,
      limits,
    );
    assert.deepEqual(entry!.state, { user: { id: 'u1', name: 'Ada', color: '#abcdef', colorLight: '#abcdef33' }, cursor: { a: 1 } });
  });

  it('a colour that is not #rrggbb becomes the palette colour of the user; a state without user gets one', () => {
    const [entry] = readAwarenessUpdate(one(JSON.stringify({ user: { color: 'red;position:fixed' } })), account, limits);
    assert.equal((entry!.state!['user'] as { color: string }).color, paletteColor('u1'));
    const [bare] = readAwarenessUpdate(one(JSON.stringify({ cursor: null })), account, limits);
    assert.deepEqual(bare!.state!['user'], { id: 'u1', name: 'Ada', color: paletteColor('u1'), colorLight: `${paletteColor('u1')}33` });
  });

  it('a removal (null state) stays a removal', () => {
    const [entry] = readAwarenessUpdate(one('null'), account, limits);
    assert.equal(entry!.state, null);
  });

  it('refuses deep, large, non-object and trailing states before parsing them into the room', () => {
    const deep = `{"x":${'['.repeat(limits.maxDepth)}${']'.repeat(limits.maxDepth)}}`;
    assert.throws(() => readAwarenessUpdate(one(deep), account, limits), /nested deeper than 16/);
    assert.doesNotThrow(() => readAwarenessUpdate(one(`{"x":${'['.repeat(limits.maxDepth - 1)}${']'.repeat(limits.maxDepth - 1)}}`), account, limits));
    assert.throws(() => readAwarenessUpdate(one(JSON.stringify({ x: 'y'.repeat(limits.maxStateBytes) })), account, limits), /more than 8192 bytes/);
    assert.throws(() => readAwarenessUpdate(one('[1,2]'), account, limits), /not an object/);
    assert.throws(() => readAwarenessUpdate(one('"text"'), account, limits), /not an object/);
    assert.throws(() => readAwarenessUpdate(new Uint8Array([...one('{}'), 0]), account, limits), PresenceError);
    const many = encodeRaw(Array.from({ length: limits.maxClientsPerConnection + 1 }, (_, i) => [i + 1, 1, '{}'] as [number, number, string]));
    assert.throws(() => readAwarenessUpdate(many, account, limits), /awareness states in one message/);
  });

  it('counts depth outside strings only', () => {
    assert.equal(jsonDepth('{"a":"[[[[[[\\"[[["}'), 1);
    assert.equal(jsonDepth('[[{}],[[[]]]]'), 4);
  });

  it('what it relays re-encodes and applies as y-protocols awareness', () => {
    const entries = readAwarenessUpdate(one(JSON.stringify({ cursor: 1 })), account, limits);
    const doc = new Y.Doc();
    const awareness = new awarenessProtocol.Awareness(doc);
    awarenessProtocol.applyAwarenessUpdate(awareness, encodeAwarenessEntries(entries), 'test');
    assert.deepEqual(awareness.getStates().get(7), entries[0]!.state);
    awarenessProtocol.encodeAwarenessUpdate(awareness, [...awareness.getStates().keys()]);
    awareness.destroy();
  });

  it('the throttle applies a burst at once and coalesces the rest into the latest state', async () => {
    const applied: AwarenessEntry[][] = [];
    const throttle = new PresenceThrottle({ ...limits, perSecond: 5, burst: 2 }, (entries) => applied.push(entries));
    for (let clock = 1; clock <= 10; clock++) throttle.submit([{ clientID: 1, clock, state: { n: clock } }]);
    assert.equal(applied.length, 2);
    await eventually(() => applied.length === 3);
    assert.deepEqual(applied[2], [{ clientID: 1, clock: 10, state: { n: 10 } }]);
    // The budget is spent again: the next change waits, and is dropped when the connection leaves.
    throttle.submit([{ clientID: 1, clock: 11, state: { n: 11 } }]);
    assert.equal(applied.length, 3);
    throttle.dispose();
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(applied.length, 3);
  });
});
