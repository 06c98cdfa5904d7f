// Readers are tolerant: a malformed entry in `cells` (or in a cell's outputs) is skipped and
// reported, so one bad entry cannot fail execute or export for everyone.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import * as Y from 'yjs';
import { cellScope, findCell, initSharedDoc, notebookOf, readableCells, sharedDocToNotebook } from '../../../shared/schema.ts';
import { sharedDoc } from '../../../shared/layout.ts';

it('skips entries of cells that are not cells, and outputs that are not outputs', () => {
  const doc = new Y.Doc();
  initSharedDoc(doc, notebookOf([{ cell_type: 'code', id: 'ok', source: '1+1', metadata: {}, execution_count: null, outputs: [] }]));
  const cells = sharedDoc(doc).cells;
  cells.insert(0, ['not a cell', 42] as never[]);
  const noSource = new Y.Map<unknown>();
  noSource.set('id', 'broken');
  noSource.set('cell_type', 'code');
  cells.push([noSource]);
  const good = cells.get(2);
  (good.get('outputs') as Y.Array<unknown>).push(['not an output']);
  good.set('metadata', { plain: 'object' });

  const skipped: number[] = [];
  const notebook = sharedDocToNotebook(doc, undefined, (index) => skipped.push(index));
  assert.deepEqual(notebook.cells.map((c) => c.id), ['ok']);
  assert.deepEqual(skipped, [0, 1, 3]);
  assert.deepEqual(notebook.cells[0]!.metadata, {});
  assert.deepEqual(notebook.cells[0]!.cell_type === 'code' && notebook.cells[0]!.outputs, []);
  assert.equal(readableCells(cells).length, 1);
  assert.equal(findCell(doc, 'ok')?.index, 2);
  assert.equal(findCell(doc, 'broken'), undefined);
  assert.equal(cellScope(good), 'user');
});
