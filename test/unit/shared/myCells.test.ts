// Where scratch cells sit (shared/myCells.ts): after the shared cell they follow, whatever others
// insert, move or delete around it; after the nearest surviving predecessor once it is deleted;
// the same after the documents are stored and loaded again. Real Yjs documents, edits made by a
// second client and synced, as in the browser.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as Y from 'yjs';
import { deleteCell, insertCell, moveCell } from '../../../client/notebook/cellOps.ts';
import { createScratchCell, myCellOrder, orderAfter, placeScratch, refreshScratchPositions, scratchCells, scratchMap } from '../../../shared/myCells.ts';
import { cellId, initSharedDoc, notebookOf } from '../../../shared/schema.ts';
import { sharedDoc } from '../../../shared/layout.ts';

const code = (id: string) => ({ cell_type: 'code' as const, id, source: `# ${id}`, metadata: {}, execution_count: null, outputs: [] });

/** A shared document of cells a..e, a co-editor's copy synced both ways, and my private document. */
function setup() {
  const shared = new Y.Doc();
  initSharedDoc(shared, notebookOf(['a', 'b', 'c', 'd', 'e'].map(code)));
  const other = new Y.Doc();
  Y.applyUpdate(other, Y.encodeStateAsUpdate(shared));
  shared.on('update', (u: Uint8Array, origin: unknown) => origin !== 'sync' && Y.applyUpdate(other, u, 'sync'));
  other.on('update', (u: Uint8Array, origin: unknown) => origin !== 'sync' && Y.applyUpdate(shared, u, 'sync'));
  const mine = new Y.Doc();
  return { shared, other, mine };
}

/** My notebook as ids: shared cells and my scratch cells (named by their source). */
function view(shared: Y.Doc, mine: Y.Doc): string[] {
  const names = new Map(scratchCells(mine).map((s) => [s.id, s.source.toString()] as const));
  return myCellOrder(shared, mine).map((entry) => (entry.scratch ? names.get(entry.id)! : entry.id));
}

const indexOf = (doc: Y.Doc, id: string) => sharedDoc(doc).cells.toArray().findIndex((cell) => cellId(cell) === id);

describe('scratch cells keep their place', () => {
  it('after their cell while others insert and move cells around it, and follow the cell when it moves', () => {
    const { shared, other, mine } = setup();
    createScratchCell(mine, shared, { after: 'b', order: 0 }, 'code', 'S1');
    createScratchCell(mine, shared, { after: 'b', order: 1 }, 'markdown', 'S2');
    createScratchCell(mine, shared, { after: null, order: 0 }, 'code', 'TOP');
    assert.deepEqual(view(shared, mine), ['TOP', 'a', 'b', 'S1', 'S2', 'c', 'd', 'e']);

    insertCell(other, indexOf(other, 'b'), 'code'); // above b
    insertCell(other, indexOf(other, 'b') + 1, 'markdown'); // right below b
    const inserted = sharedDoc(shared).cells.toArray().map(cellId).filter((id) => !'abcde'.includes(id));
    assert.deepEqual(view(shared, mine), ['TOP', 'a', inserted[0], 'b', 'S1', 'S2', inserted[1], 'c', 'd', 'e']);

    moveCell(other, indexOf(other, 'd'), 0); // another cell moves above
    moveCell(other, indexOf(other, 'b'), indexOf(other, 'e')); // b itself moves to the end
    assert.deepEqual(view(shared, mine), ['TOP', 'd', 'a', inserted[0], inserted[1], 'c', 'e', 'b', 'S1', 'S2']);
  });

  it('at the nearest surviving predecessor when their cell is deleted, never lost', () => {
    const { shared, other, mine } = setup();
    createScratchCell(mine, shared, { after: 'c', order: 0 }, 'code', 'S');
    deleteCell(other, indexOf(other, 'c'));
    assert.deepEqual(view(shared, mine), ['a', 'b', 'S', 'd', 'e']);
    deleteCell(other, indexOf(other, 'b'));
    assert.deepEqual(view(shared, mine), ['a', 'S', 'd', 'e']);
    deleteCell(other, indexOf(other, 'a'));
    assert.deepEqual(view(shared, mine), ['S', 'd', 'e'], 'no predecessor left: the top');
    // A cell inserted at the top afterwards comes before the place where a stood.
    insertCell(other, 0, 'code');
    assert.equal(view(shared, mine)[1], 'S');
    // Every shared cell deleted: still shown.
    sharedDoc(other).cells.delete(0, sharedDoc(other).cells.length);
    assert.deepEqual(view(shared, mine), ['S']);
  });

  it('a cell moved, then deleted: where it was last seen, once the page has refreshed the position', () => {
    const { shared, other, mine } = setup();
    createScratchCell(mine, shared, { after: 'b', order: 0 }, 'code', 'S');
    moveCell(other, indexOf(other, 'b'), 3); // a c d b e
    assert.equal(refreshScratchPositions(mine, shared), 1);
    assert.equal(refreshScratchPositions(mine, shared), 0, 'nothing left to refresh');
    deleteCell(other, indexOf(other, 'b'));
    assert.deepEqual(view(shared, mine), ['a', 'c', 'd', 'S', 'e']);
  });

  it('a hidden and revealed cell: at its old place while hidden, with it again once revealed', () => {
    const { shared, other, mine } = setup();
    createScratchCell(mine, shared, { after: 'c', order: 0 }, 'code', 'S');
    // Hiding moves a cell into another document; revealing puts a copy at the end (server/classroom/reveal.ts).
    const c = sharedDoc(other).cells.get(indexOf(other, 'c'));
    const json = c.toJSON();
    sharedDoc(other).cells.delete(indexOf(other, 'c'), 1);
    assert.deepEqual(view(shared, mine), ['a', 'b', 'S', 'd', 'e']);
    insertCell(other, sharedDoc(other).cells.length, 'code');
    const revealed = sharedDoc(other).cells.get(sharedDoc(other).cells.length - 1);
    other.transact(() => revealed.set('id', json['id']));
    assert.deepEqual(view(shared, mine).slice(-2), ['c', 'S']);
  });

  it('the same after both documents are stored and loaded again', () => {
    const { shared, other, mine } = setup();
    createScratchCell(mine, shared, { after: 'd', order: 0 }, 'code', 'S');
    deleteCell(other, indexOf(other, 'd'));
    const reloadedShared = new Y.Doc();
    Y.applyUpdate(reloadedShared, Y.encodeStateAsUpdate(shared));
    const reloadedMine = new Y.Doc();
    Y.applyUpdate(reloadedMine, Y.encodeStateAsUpdate(mine));
    assert.deepEqual(view(reloadedShared, reloadedMine), ['a', 'b', 'c', 'S', 'e']);
  });

  it('a position that resolves nowhere puts the cell last; malformed entries are skipped', () => {
    const { shared, mine } = setup();
    const s = createScratchCell(mine, shared, { after: 'zz', order: 1 }, 'code', 'LOST');
    assert.equal(s.pos, null, 'no cell zz: no position');
    const forged = createScratchCell(mine, shared, { after: 'b', order: 0 }, 'code', 'FORGED');
    mine.transact(() => {
      forged.cell.set('after', 'gone');
      forged.cell.set('pos', { item: { client: 1, clock: 99999 }, assoc: -1 });
    });
    scratchMap(mine).set('scratch-broken', new Y.Map());
    assert.deepEqual(view(shared, mine), ['a', 'b', 'c', 'd', 'e', 'FORGED', 'LOST']);
  });

  it('new cells go right below the cell they are added after', () => {
    const { shared, mine } = setup();
    const slot = () => placeScratch(shared, scratchCells(mine))[2]!; // after b
    const first = createScratchCell(mine, shared, { after: 'b', order: orderAfter(slot()) }, 'code', 'FIRST');
    createScratchCell(mine, shared, { after: 'b', order: orderAfter(slot()) }, 'code', 'ABOVE FIRST');
    createScratchCell(mine, shared, { after: 'b', order: orderAfter(slot(), first.id) }, 'code', 'BELOW FIRST');
    createScratchCell(mine, shared, { after: 'b', order: orderAfter(slot(), first.id) }, 'code', 'RIGHT BELOW FIRST');
    assert.deepEqual(view(shared, mine).slice(2, 6), ['ABOVE FIRST', 'FIRST', 'RIGHT BELOW FIRST', 'BELOW FIRST']);
  });
});
