// The shared document must be readable and writable by JupyterLab's own model (@jupyter/ydoc's
// YNotebook), key for key, so Jupyter tools can join a Cohort room. Both directions are checked,
// whole documents and live edits.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { YNotebook } from '@jupyter/ydoc';
import type { YCodeCell } from '@jupyter/ydoc';
import * as Y from 'yjs';
import { parseNotebook } from '../../../server/notebooks/nbformat.ts';
import { cellSource, createCellMap, initSharedDoc, sharedDocToNotebook } from '../../../shared/schema.ts';
import { sharedDoc } from '../../../shared/layout.ts';
import { fixtureNotebooks, nbclientNotebooks } from '../notebooks/notebookFiles.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const opened: YNotebook[] = [];
after(() => {
  // YNotebook owns an Awareness whose timer keeps the process alive until disposed.
  for (const nb of opened) nb.dispose();
});

function yNotebook(): YNotebook {
  const nb = new YNotebook();
  opened.push(nb);
  return nb;
}

/** Plain JSON (drops `undefined` members ydoc's toJSON leaves, e.g. absent attachments). */
function plain(value: unknown): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

function sync(from: Y.Doc, to: Y.Doc): void {
  Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)));
}

const files = [...fixtureNotebooks(), ...nbclientNotebooks()];

describe('Cohort document read by @jupyter/ydoc', () => {
  for (const file of files) {
    it(`YNotebook sees the same cells, sources, metadata and outputs of ${file.name}`, () => {
      const ours = new Y.Doc();
      initSharedDoc(ours, parseNotebook(file.json));
      const theirs = yNotebook();
      sync(ours, theirs.ydoc);

      const expected = sharedDocToNotebook(ours);
      assert.equal(theirs.cells.length, expected.cells.length);
      theirs.cells.forEach((cell, i) => {
        const cellJson = expected.cells[i];
        assert.ok(cellJson);
        assert.equal(cell.id, cellJson.id);
        assert.equal(cell.cell_type, cellJson.cell_type);
        assert.equal(cell.getSource(), cellJson.source);
      });
      assert.equal(theirs.nbformat, 4);
      assert.equal(theirs.nbformat_minor, 5);
      assert.deepEqual(plain(theirs.getMetadata()), plain(expected.metadata));
      assert.deepEqual(plain(theirs.toJSON()), plain(expected));
    });
  }

  it('follows live edits made through our schema', () => {
    const ours = new Y.Doc();
    initSharedDoc(ours, parseNotebook({ nbformat: 4, nbformat_minor: 4, metadata: {}, cells: [] }));
    const theirs = yNotebook();
    sync(ours, theirs.ydoc);
    sharedDoc(ours).cells.push([createCellMap({ cell_type: 'code', id: 'live', source: 'x = 1' })]);
    sync(ours, theirs.ydoc);
    const first = sharedDoc(ours).cells.get(0);
    cellSource(first).insert(5, '0');
    sync(ours, theirs.ydoc);
    assert.equal(theirs.cells.length, 1);
    assert.equal(theirs.cells[0]?.id, 'live');
    assert.equal(theirs.cells[0]?.getSource(), 'x = 10');
  });
});

describe('@jupyter/ydoc document read by Cohort', () => {
  it('sharedDocToNotebook gives the cells, sources, metadata and outputs YNotebook wrote', () => {
    const theirs = YNotebook.create({ data: { metadata: { kernelspec: { name: 'python3', display_name: 'Python 3' } } } });
    opened.push(theirs);
    theirs.setMetadata('custom', { a: [1, 2] });
    theirs.insertCells(0, [
      { cell_type: 'markdown', id: 'md-1', source: '# Hi ✓', metadata: { tags: ['t'] }, attachments: { 'a.png': { 'image/png': 'AAAA' } } },
      {
        cell_type: 'code',
        id: 'code-1',
        source: 'print(1)\n1',
        metadata: { scrolled: true },
        execution_count: 3,
        // Stream text as a string: ydoc 4.2 joins a list of lines with commas (a bug on its side).
        outputs: [
          { output_type: 'stream', name: 'stdout', text: '1\n' },
          { output_type: 'execute_result', execution_count: 3, data: { 'text/plain': '1' }, metadata: {} },
          { output_type: 'error', ename: 'E', evalue: 'v', traceback: ['tb'] },
        ],
      },
      { cell_type: 'raw', id: 'raw-1', source: 'raw', metadata: {} },
      { cell_type: 'code', source: '', metadata: {} },
    ]);
    const code = theirs.cells[1] as YCodeCell;
    code.updateSource(0, 5, 'display');
    code.updateOutputs(3, 3, [{ output_type: 'display_data', data: { 'image/png': 'BBBB' }, metadata: { 'image/png': { width: 3 } } }]);

    const ours = new Y.Doc();
    sync(theirs.ydoc, ours);
    const read = sharedDocToNotebook(ours);
    const written = plain(theirs.toJSON()) as { cells: { id: string; cell_type: string; source: string }[] };

    assert.deepEqual(read.cells.map((c) => [c.id, c.cell_type, c.source]), written.cells.map((c) => [c.id, c.cell_type, c.source]));
    assert.equal(read.cells[1]?.source, 'display(1)\n1');
    assert.ok((read.cells[3]?.id ?? '').length > 0, 'ydoc gave the id-less cell an id we read');
    assert.deepEqual(read.metadata, { kernelspec: { name: 'python3', display_name: 'Python 3' }, custom: { a: [1, 2] } });
    assert.deepEqual(plain(read), written);
    const readCode = read.cells[1];
    assert.ok(readCode?.cell_type === 'code');
    assert.equal(readCode.execution_count, 3);
    assert.deepEqual(readCode.outputs.map((o) => o.output_type), ['stream', 'execute_result', 'error', 'display_data']);
    assert.deepEqual(readCode.outputs[0], { output_type: 'stream', name: 'stdout', text: '1\n' });
  });

  it('reads a notebook loaded with YNotebook.fromJSON, and the result imports back', () => {
    const source = files.find((f) => f.name === 'unicode-raw-error.ipynb');
    assert.ok(source);
    const parsed = parseNotebook(source.json);
    const theirs = yNotebook();
    // Through our document first: it hands ydoc stream text as one string, as Jupyter's loader
    // (rejoin_lines) does; ydoc 4.2 would join a list of lines with commas.
    const staging = new Y.Doc();
    initSharedDoc(staging, parsed);
    // As JupyterLab does with a file's text: the parsed JSON goes straight into fromJSON.
    theirs.fromJSON(JSON.parse(JSON.stringify(sharedDocToNotebook(staging))));
    const ours = new Y.Doc();
    sync(theirs.ydoc, ours);
    const read = sharedDocToNotebook(ours);
    assert.deepEqual(read.cells.map((c) => c.id), parsed.cells.map((c) => c.id));
    assert.deepEqual(plain(read), plain(theirs.toJSON()));
    assert.deepEqual(parseNotebook(read).cells.length, parsed.cells.length);
  });

  it('sees live edits made through YNotebook', () => {
    const ours = new Y.Doc();
    initSharedDoc(ours, parseNotebook({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ id: 'c', cell_type: 'code', source: 'a', metadata: {}, outputs: [], execution_count: null }] }));
    const theirs = yNotebook();
    sync(ours, theirs.ydoc);
    theirs.cells[0]?.updateSource(1, 1, 'bc');
    theirs.insertCells(1, [{ cell_type: 'markdown', id: 'm', source: 'note', metadata: {} }]);
    theirs.cells[0]?.setMetadata('tags', ['x']);
    sync(theirs.ydoc, ours);
    const read = sharedDocToNotebook(ours);
    assert.deepEqual(read.cells.map((c) => [c.id, c.source]), [['c', 'abc'], ['m', 'note']]);
    assert.deepEqual(read.cells[0]?.metadata, { tags: ['x'] });
  });
});
