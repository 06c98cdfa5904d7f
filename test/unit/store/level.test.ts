// The LevelDB document log: ordered appends, atomic batches, compaction that keeps the state.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, it } from 'node:test';
import { join } from 'node:path';
import * as Y from 'yjs';
import { createLogger } from '../../../server/log.ts';
import { openLevelStore } from '../../../server/store/level.ts';
import { eventually } from '../../helpers/eventually.ts';
import { tempDir } from '../../helpers/server.ts';

const dir = tempDir('cohort-store-');
after(() => rmSync(dir, { recursive: true, force: true }));
const log = createLogger('silent');

/** A document whose every edit is captured as its own update. */
function typist() {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  const text = doc.getText('t');
  return { doc, updates, type: (s: string) => text.insert(text.length, s) };
}

function stateOf(update: Uint8Array | null): string {
  const doc = new Y.Doc();
  if (update) Y.applyUpdate(doc, update);
  return doc.getText('t').toString();
}

it('keeps the exact state through appends, batches, compaction and a reopen', async () => {
  const path = join(dir, 'a');
  let store = await openLevelStore(path, { compactAfter: 50, log });
  const w = typist();
  for (let i = 0; i < 400; i++) {
    w.type(String.fromCharCode(97 + (i % 26)));
    if (i % 3 === 0) await store.docs.appendMany('nb', w.updates.splice(0));
  }
  await store.docs.appendMany('nb', w.updates.splice(0));
  const expected = w.doc.getText('t').toString();
  assert.equal(stateOf(await store.docs.load('nb')), expected);
  await eventually(async () => (await store.docs.logLength('nb')) < 60, { message: 'the log was never compacted' });
  await store.close();
  store = await openLevelStore(path, { compactAfter: 50, log });
  assert.equal(stateOf(await store.docs.load('nb')), expected);
  assert.equal(await store.docs.load('other'), null);
  await store.close();
});

it('merges a large document only after its log grew by half of it', async () => {
  const store = await openLevelStore(join(dir, 'b'), { compactAfter: 10, log });
  const w = typist();
  w.type('x'.repeat(20_000)); // a large base
  await store.docs.appendMany('big', w.updates.splice(0));
  for (let i = 0; i < 100; i++) {
    w.type('y');
    await store.docs.append('big', w.updates.splice(0)[0]!);
  }
  // 100 small updates are far less than half of a 20 kB base: no merge yet, whatever the count.
  assert.equal(await store.docs.logLength('big'), 101);
  w.type('z'.repeat(12_000));
  await store.docs.appendMany('big', w.updates.splice(0));
  await eventually(async () => (await store.docs.logLength('big')) === 1, { message: 'a grown log was not merged' });
  assert.equal(stateOf(await store.docs.load('big')), w.doc.getText('t').toString());
  await store.close();
});

it('keeps updates whose dependencies arrive later, through merges', async () => {
  const store = await openLevelStore(join(dir, 'c'), { compactAfter: 2, log });
  const w = typist();
  w.type('first ');
  w.type('second');
  const [a, b] = w.updates.splice(0);
  // Stored out of order: `b` depends on `a`, which comes only afterwards.
  await store.docs.append('ooo', b!);
  assert.equal(stateOf(await store.docs.load('ooo')), '', 'b alone shows nothing, but must be kept');
  await store.docs.append('ooo', a!);
  assert.equal(stateOf(await store.docs.load('ooo')), 'first second');
  await store.close();
});
