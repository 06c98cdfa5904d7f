// The private document's parts for a user's own code (shared/myCells.ts) against the update guard:
// what the page writes — a copy of an exercise cell, edits of it, a reset, scratch cells, their
// moves and retyping — is accepted; what a reader could not use is refused before it is applied.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as Y from 'yjs';
import { PRIVATE_SCHEMA } from '../../../server/sync/docSchema.ts';
import { SchemaGuard } from '../../../server/sync/schemaGuard.ts';
import { createExerciseCopy, createScratchCell, exerciseCopies, refreshScratchPositions, resetExercise, scratchMap } from '../../../shared/myCells.ts';
import { initSharedDoc, notebookOf } from '../../../shared/schema.ts';

function pair() {
  const server = new Y.Doc();
  const client = new Y.Doc();
  const guard = new SchemaGuard(server, PRIVATE_SCHEMA);
  const shared = new Y.Doc();
  initSharedDoc(shared, notebookOf([{ cell_type: 'code', id: 'a', source: 'x = 1', metadata: {}, execution_count: null, outputs: [] }]));
  return {
    shared,
    client,
    edit(change: (doc: Y.Doc) => void) {
      const updates: Uint8Array[] = [];
      const onUpdate = (u: Uint8Array) => updates.push(u);
      client.on('update', onUpdate);
      client.transact(() => change(client));
      client.off('update', onUpdate);
      const verdict = guard.check(Y.mergeUpdates(updates));
      if (verdict.ok) Y.applyUpdate(server, Y.mergeUpdates(updates));
      return verdict;
    },
  };
}

describe('private document: exercise copies and scratch cells', () => {
  it('accepts what the page writes', () => {
    const p = pair();
    assert.equal(p.edit((doc) => createExerciseCopy(doc, 'a', 'x = 1')).ok, true);
    assert.equal(p.edit((doc) => exerciseCopies(doc).get('a')!.get('source') instanceof Y.Text && (exerciseCopies(doc).get('a')!.get('source') as Y.Text).insert(0, '# mine\n')).ok, true);
    assert.equal(p.edit((doc) => resetExercise(doc, 'a')).ok, true);
    let id = '';
    assert.equal(p.edit((doc) => (id = createScratchCell(doc, p.shared, { after: 'a', order: 0 }, 'code', 'print(1)').id)).ok, true);
    assert.equal(p.edit((doc) => scratchMap(doc).get(id)!.set('cell_type', 'markdown')).ok, true);
    assert.equal(p.edit((doc) => scratchMap(doc).get(id)!.set('order', 2.5)).ok, true);
    assert.equal(p.edit((doc) => refreshScratchPositions(doc, p.shared)).ok, true);
    assert.equal(p.edit((doc) => createScratchCell(doc, p.shared, { after: null, order: -1 }, 'markdown', '# top')).ok, true);
    assert.equal(p.edit((doc) => scratchMap(doc).delete(id)).ok, true);
  });

  it('refuses copies and scratch cells readers could not use', () => {
    const cases: Array<[string, (doc: Y.Doc) => void, RegExp]> = [
      ['a copy without base', (doc) => exerciseCopies(doc).set('a', new Y.Map([['source', new Y.Text('x')]])), /exercise copy without base/],
      ['a copy whose source is a string', (doc) => exerciseCopies(doc).set('a', new Y.Map<unknown>([['source', 'x'], ['base', 'x']])), /a string where an exercise copy source belongs/],
      ['a scratch cell of type raw', (doc) => {
        scratchMap(doc).set('s', new Y.Map<unknown>([['id', 's'], ['cell_type', 'raw'], ['source', new Y.Text()], ['metadata', new Y.Map()], ['order', 0]]));
      }, /"code" or "markdown"/],
      ['a scratch cell whose order is not a number', (doc) => {
        scratchMap(doc).set('s', new Y.Map<unknown>([['id', 's'], ['cell_type', 'code'], ['source', new Y.Text()], ['metadata', new Y.Map()], ['order', 'first']]));
      }, /a finite number/],
      ['a scratch cell without source', (doc) => {
        scratchMap(doc).set('s', new Y.Map<unknown>([['id', 's'], ['cell_type', 'code'], ['metadata', new Y.Map()], ['order', 0]]));
      }, /scratch cell without source/],
    ];
    for (const [what, change, reason] of cases) {
      const verdict = pair().edit(change);
      assert.equal(verdict.ok, false, what);
      if (!verdict.ok) assert.match(verdict.reason, reason, what);
    }
  });
});
