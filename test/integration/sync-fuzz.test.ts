// Property-based fuzz of the sync endpoint (fast-check, fixed seed, bounded in time): random,
// mutated and hostile sync, awareness and auth messages from members of every role, while
// healthy clients type. Asserted: the server never falls over and answers throughout; the healthy
// clients converge with each other and with the store; where the sender may not write, the stored
// document holds only the healthy clients' edits; where it may, what is stored still fits the
// schema and is exactly what is served; every room unloads once everyone left.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import * as Y from 'yjs';
import { SHARED_SCHEMA, PRIVATE_SCHEMA } from '../../server/sync/docSchema.ts';
import { SchemaGuard } from '../../server/sync/schemaGuard.ts';
import { privateRoom, sharedRoom } from '../../shared/rooms.ts';
import { cellSource, createCellMap, isCellMap, notebookOf, readableCells } from '../../shared/schema.ts';
import { sharedDoc } from '../../shared/layout.ts';
import { connectDoc } from '../helpers/clients.ts';
import type { DocClient } from '../helpers/clients.ts';
import { eventually } from '../helpers/eventually.ts';
import { authFrame, awarenessFrame, queryAwarenessFrame, rawSync, syncStep1Frame, updateFrame } from '../helpers/rawSync.ts';
import type { TestServer } from '../helpers/server.ts';
import { startTestServer } from '../helpers/server.ts';

const SEED = 19;
const TIME_LIMIT_MS = Number(process.env.COHORT_FUZZ_MS ?? 40_000);
const MAX_RUNS = 2_000;

type User = { id: string; token: string };
type Role = 'viewer' | 'runner' | 'editor' | 'owner';
const ROLES: readonly Role[] = ['viewer', 'runner', 'editor', 'owner'];

/** Edits made on a copy of the current state; each returns the update it produced. */
const edits: Record<string, (doc: Y.Doc, rnd: number) => void> = {
  type: (doc, rnd) => {
    const cell = readableCells(sharedDoc(doc).cells)[rnd % 3];
    if (cell) cellSource(cell).insert(0, `fz${rnd}`);
  },
  newCell: (doc, rnd) => sharedDoc(doc).cells.push([createCellMap({ cell_type: 'code', source: `cell ${rnd}`, metadata: {}, outputs: [], execution_count: null })]),
  deleteCell: (doc, rnd) => {
    const cells = sharedDoc(doc).cells;
    if (cells.length > 3) cells.delete(3 + (rnd % (cells.length - 3)), 1);
  },
  notACell: (doc) => sharedDoc(doc).cells.insert(0, ['not a cell', 42] as never[]),
  foreignRoot: (doc, rnd) => doc.getMap(`root${rnd % 5}`).set('x', rnd),
  foreignText: (doc) => doc.getText('cells').insert(0, 'x'),
  stringSource: (doc) => readableCells(sharedDoc(doc).cells)[0]?.set('source', 'plain'),
  deleteSource: (doc) => readableCells(sharedDoc(doc).cells)[0]?.delete('source'),
  metadataObject: (doc) => readableCells(sharedDoc(doc).cells)[0]?.set('metadata', { a: 1 }),
  deepValue: (doc, rnd) => (readableCells(sharedDoc(doc).cells)[0]?.get('metadata') as Y.Map<unknown> | undefined)?.set('deep', JSON.parse('['.repeat(101 + (rnd % 400)) + ']'.repeat(101 + (rnd % 400)))),
  emptyMapCell: (doc) => sharedDoc(doc).cells.push([new Y.Map()]),
  privateJunk: (doc, rnd) => doc.getMap('outputs').set(`c${rnd}`, 'not outputs' as never),
  privateKernel: (doc, rnd) => doc.getMap('kernel').set('note', rnd),
  oversize: (doc) => {
    const cell = readableCells(sharedDoc(doc).cells)[0];
    if (cell) cellSource(cell).insert(0, 'o'.repeat(300 * 1024));
  },
};
const EDIT_NAMES = Object.keys(edits);

/** What one fuzz step sends, as a recipe materialized against the room's current state. */
type Recipe =
  | { kind: 'edit'; name: string; rnd: number; mutate: Mutation[]; missingDeps: boolean }
  | { kind: 'awareness'; clientID: number; json: 'valid' | 'claim' | 'deep' | 'big' | 'array' | 'garbage' | 'null'; rnd: number; mutate: Mutation[] }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'auth'; trailing: number[] }
  | { kind: 'step1'; garbage: boolean }
  | { kind: 'query' };
type Mutation = { op: 'flip' | 'truncate' | 'insert' | 'duplicate'; at: number; byte: number };

const mutation = fc.record({ op: fc.constantFrom('flip', 'truncate', 'insert', 'duplicate'), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }) as fc.Arbitrary<Mutation>;
const mutations = fc.oneof({ weight: 3, arbitrary: fc.constant([] as Mutation[]) }, { weight: 1, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }) });

const recipe: fc.Arbitrary<Recipe> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('edit' as const), name: fc.constantFrom(...EDIT_NAMES), rnd: fc.nat(), mutate: mutations, missingDeps: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('awareness' as const),
      clientID: fc.oneof(fc.nat(), fc.constant(-1)), // -1: a healthy client's id
      json: fc.constantFrom('valid', 'claim', 'deep', 'big', 'array', 'garbage', 'null'),
      rnd: fc.nat(),
      mutate: mutations,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 48 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('auth' as const), trailing: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('step1' as const), garbage: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'query' as const }) },
);

function mutate(bytes: Uint8Array, ops: readonly Mutation[]): Uint8Array {
  let out = Array.from(bytes);
  for (const { op, at, byte } of ops) {
    const i = out.length === 0 ? 0 : at % out.length;
    if (op === 'flip') out[i] = (out[i] ?? 0) ^ (byte || 1);
    else if (op === 'truncate') out = out.slice(0, i);
    else if (op === 'insert') out.splice(i, 0, byte);
    else out = [...out, ...out.slice(i)];
  }
  return new Uint8Array(out);
}

function materialize(r: Recipe, state: Uint8Array, self: User, healthyAwareness: number): Uint8Array {
  switch (r.kind) {
    case 'edit': {
      const doc = new Y.Doc();
      Y.applyUpdate(doc, state);
      const updates: Uint8Array[] = [];
      doc.on('update', (u: Uint8Array) => updates.push(u));
      // Some combinations cannot be made on a copy (Yjs refuses a second type under one name).
      const attempt = (name: string, rnd: number) => {
        try {
          edits[name]!(doc, rnd);
        } catch {
          // nothing to send from this one
        }
      };
      attempt(r.name, r.rnd);
      // An update whose predecessor is withheld: a second edit sent alone.
      if (r.missingDeps && updates.length > 0) {
        updates.length = 0;
        attempt('type', r.rnd + 1);
      }
      const update = updates.length > 0 ? updates[updates.length - 1]! : Y.encodeStateAsUpdate(doc, Y.encodeStateVector(doc));
      doc.destroy();
      return mutate(updateFrame(update), r.mutate);
    }
    case 'awareness': {
      const clientID = r.clientID === -1 ? healthyAwareness : r.clientID;
      const json = {
        valid: JSON.stringify({ user: { id: self.id, name: 'me', color: '#123456' }, cursor: { anchor: r.rnd } }),
        claim: JSON.stringify({ user: { id: 'someone-else', name: 'teacher', color: 'red;position:fixed', extra: 'x'.repeat(r.rnd % 100) } }),
        deep: `{"x":${'['.repeat(17 + (r.rnd % 6000))}${']'.repeat(17 + (r.rnd % 6000))}}`,
        big: JSON.stringify({ blob: 'b'.repeat(8 * 1024 + (r.rnd % 4096)) }),
        array: '[1,2,3]',
        garbage: '{"unterminated',
        null: 'null',
      }[r.json];
      return mutate(awarenessFrame(clientID, 1 + (r.rnd % 50), json), r.mutate);
    }
    case 'bytes':
      return r.bytes;
    case 'auth':
      return authFrame(r.trailing);
    case 'step1': {
      const doc = new Y.Doc();
      Y.applyUpdate(doc, state);
      const sv = Y.encodeStateVector(doc);
      return syncStep1Frame(r.garbage ? mutate(sv, [{ op: 'insert', at: 1, byte: 0xff }]) : sv);
    }
    case 'query':
      return queryAwarenessFrame();
  }
}

/** A client typing into its own cell on a timer, recording what it typed. */
function typist(client: DocClient, cellIndex: number, tolerant: boolean) {
  let typed = '';
  let n = 0;
  client.provider.awareness.setLocalStateField('user', { id: 'anything', name: 'typist' });
  const timer = setInterval(() => {
    const cells = readableCells(sharedDoc(client.doc).cells);
    let cell = cells[cellIndex];
    if (!cell) {
      if (!tolerant) return;
      cell = createCellMap({ cell_type: 'code', source: '', metadata: {}, outputs: [], execution_count: null });
      sharedDoc(client.doc).cells.push([cell]);
    }
    const ch = String.fromCharCode(97 + (n++ % 26));
    cellSource(cell).insert(cellSource(cell).length, ch);
    typed += ch;
    client.provider.awareness.setLocalStateField('cursor', { at: n });
  }, 30);
  return {
    get typed() {
      return typed;
    },
    stop: () => clearInterval(timer),
  };
}

describe('sync endpoint fuzz', { timeout: 300_000 }, () => {
  let t: TestServer;
  const users = {} as Record<Role | 'typistA1' | 'typistA2' | 'typistB1' | 'typistB2', User>;
  let readOnlyNb: string; // viewers and runners fuzz it; two editors type
  let writableNb: string; // editors and owners fuzz it; two editors type
  const clients: DocClient[] = [];

  before(async () => {
    t = await startTestServer({ maxWriteBytes: 256 * 1024 });
    for (const name of [...ROLES, 'typistA1', 'typistA2', 'typistB1', 'typistB2'] as const) users[name] = await t.createUser(name);
    const cells = (prefix: string) =>
      notebookOf([0, 1, 2].map((i) => ({ cell_type: 'code' as const, id: `${prefix}${i}`, source: '', metadata: {}, execution_count: null, outputs: [] })));
    const as = t.api(users.owner.token);
    readOnlyNb = (await as<{ id: string }>('POST', '/api/notebooks', { name: 'fuzz-ro', notebook: cells('r') })).body.id;
    writableNb = (await as<{ id: string }>('POST', '/api/notebooks', { name: 'fuzz-rw', notebook: cells('w') })).body.id;
    for (const nb of [readOnlyNb, writableNb]) {
      for (const role of ['viewer', 'runner', 'editor'] as const) await as('PUT', `/api/notebooks/${nb}/members/${users[role].id}`, { role });
    }
    for (const u of [users.typistA1, users.typistA2]) await as('PUT', `/api/notebooks/${readOnlyNb}/members/${u.id}`, { role: 'editor' });
    for (const u of [users.typistB1, users.typistB2]) await as('PUT', `/api/notebooks/${writableNb}/members/${u.id}`, { role: 'editor' });
  });

  after(async () => {
    for (const c of clients) c.destroy();
    await t.close();
  });

  const storedDoc = async (room: string) => {
    await (await t.server.rooms.loaded(room))?.flushed();
    const doc = new Y.Doc();
    const update = await t.server.store.docs.load(room);
    if (update) Y.applyUpdate(doc, update);
    return doc;
  };

  it('random, mutated and hostile messages from every role break nothing', async () => {
    const readOnlyBefore = Y.decodeStateVector(Y.encodeStateVector(await storedDoc(sharedRoom(readOnlyNb))));
    const open = (nb: string, u: User) => {
      const c = connectDoc(t.wsUrl, sharedRoom(nb), u.token);
      clients.push(c);
      return c;
    };
    const a1 = open(readOnlyNb, users.typistA1);
    const a2 = open(readOnlyNb, users.typistA2);
    const b1 = open(writableNb, users.typistB1);
    const b2 = open(writableNb, users.typistB2);
    await Promise.all([a1, a2, b1, b2].map((c) => c.synced()));
    const typists = [typist(a1, 0, false), typist(a2, 1, false), typist(b1, 0, true), typist(b2, 1, true)];

    let runs = 0;
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROLES),
        fc.constantFrom('shared', 'own-private', 'other-private'),
        fc.array(recipe, { minLength: 1, maxLength: 6 }),
        async (role, target, recipes) => {
          runs++;
          const self = users[role];
          const readOnly = role === 'viewer' || role === 'runner';
          const nb = readOnly ? readOnlyNb : writableNb;
          const room = target === 'shared' ? sharedRoom(nb) : privateRoom(nb, target === 'own-private' ? self.id : users.typistA1.id);
          const healthy = readOnly ? a1 : b1;
          const state = target === 'shared' ? Y.encodeStateAsUpdate(healthy.doc) : new Uint8Array([0, 0]);
          const socket = await rawSync(t.wsUrl, room, self.token).catch(() => undefined);
          if (!socket) return; // refused at once (another's private room): fine
          for (const r of recipes) {
            if (socket.closedWith) break;
            socket.send(materialize(r, state, self, healthy.provider.awareness.clientID));
          }
          const answered = await socket.roundTrip(15_000);
          const key = `${role}/${target}/${answered ? 'open' : `closed ${socket.closedWith?.code}`}`;
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
          socket.close();
          await socket.closed();
          // The server answers everyone throughout.
          assert.equal((await fetch(`${t.url}/api/health`)).status, 200);
          if (target === 'other-private') assert.equal(answered, false, `${role} was let into another user's private room`);
        },
      ),
      { seed: SEED, numRuns: MAX_RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
    );
    for (const typing of typists) typing.stop();
    console.log(`fuzz: ${runs} runs (seed ${SEED}); outcomes: ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`);
    assert.ok(runs >= 50, `only ${runs} runs in ${TIME_LIMIT_MS} ms`);

    // Healthy clients converge, with each other and with what is stored.
    const text = (c: DocClient) => readableCells(sharedDoc(c.doc).cells).map((cell) => cellSource(cell).toString());
    for (const [x, y, nb] of [[a1, a2, readOnlyNb], [b1, b2, writableNb]] as const) {
      await eventually(async () => {
        const stored = readableCells(sharedDoc(await storedDoc(sharedRoom(nb))).cells).map((cell) => cellSource(cell).toString());
        return JSON.stringify(text(x)) === JSON.stringify(text(y)) && JSON.stringify(text(x)) === JSON.stringify(stored);
      }, { timeoutMs: 20_000, message: `clients of ${nb} did not converge with the store` });
      assert.deepEqual(x.closes, []);
      assert.deepEqual(y.closes, []);
    }
    // Where the fuzzers could not write, the store holds exactly what the typists typed.
    assert.deepEqual(text(a1), [typists[0]!.typed, typists[1]!.typed, '']);
    const readOnlyAfter = Y.decodeStateVector(Y.encodeStateVector(await storedDoc(sharedRoom(readOnlyNb))));
    for (const [client, clock] of readOnlyAfter) {
      if (client === a1.doc.clientID || client === a2.doc.clientID) continue;
      assert.equal(clock, readOnlyBefore.get(client), `client ${client} of a read-only fuzzer got into the store`);
    }
    // A healthy client's presence is still its own.
    const seen = a2.provider.awareness.getStates().get(a1.provider.awareness.clientID) as { user?: { id?: string } } | undefined;
    assert.equal(seen?.user?.id, users.typistA1.id);
    // Where they could write, what is stored fits the schema, whole, and is what is served.
    for (const [room, schema] of [
      [sharedRoom(writableNb), SHARED_SCHEMA],
      ...(['editor', 'owner'] as const).map((r) => [privateRoom(writableNb, users[r].id), PRIVATE_SCHEMA] as const),
      ...(['viewer', 'runner'] as const).map((r) => [privateRoom(readOnlyNb, users[r].id), PRIVATE_SCHEMA] as const),
    ] as const) {
      const doc = await storedDoc(room);
      assert.equal(doc.store.pendingStructs, null, `${room} stored pending structs`);
      const verdict = new SchemaGuard(new Y.Doc(), schema).check(Y.encodeStateAsUpdate(doc));
      assert.equal(verdict.ok, true, `${room}: ${JSON.stringify(verdict)}`);
    }
    const served = await rawSync(t.wsUrl, sharedRoom(writableNb), users.owner.token);
    served.send(syncStep1Frame(new Uint8Array([0])));
    const step2 = await served.next('sync-step2');
    const servedDoc = new Y.Doc();
    Y.applyUpdate(servedDoc, step2.payload);
    const storedNow = await storedDoc(sharedRoom(writableNb));
    assert.deepEqual(Y.encodeStateVector(servedDoc), Y.encodeStateVector(storedNow), 'served state is the stored state');
    assert.ok(readableCells(sharedDoc(servedDoc).cells).every(isCellMap));
    served.close();

    // Everyone leaves: every room unloads.
    for (const c of clients.splice(0)) c.destroy();
    await eventually(async () => t.server.rooms.size === 0, { timeoutMs: 20_000, message: 'rooms stayed loaded after everyone left' });
  });
});
