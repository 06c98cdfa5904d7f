// The update guard: what our clients and @jupyter/ydoc write is accepted; what breaks the schema
// or depends on missing changes is refused before it touches the document.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { YNotebook } from '@jupyter/ydoc';
import * as Y from 'yjs';
import { PRIVATE_SCHEMA, SHARED_SCHEMA } from '../../../server/sync/docSchema.ts';
import type { DocSchema } from '../../../server/sync/docSchema.ts';
import { SchemaGuard } from '../../../server/sync/schemaGuard.ts';
import { cellSource, createCellMap, createWidgetModel, initSharedDoc, notebookOf, outputToYMap, widgetState } from '../../../shared/schema.ts';
import { privateDoc, sharedDoc } from '../../../shared/layout.ts';

const opened: YNotebook[] = [];
after(() => {
  for (const nb of opened) nb.dispose();
});

/** A server document and a client synced to it; `edit` returns the client's update and the verdict. */
function pair(schema: DocSchema = SHARED_SCHEMA, init?: (doc: Y.Doc) => void) {
  const server = new Y.Doc();
  if (init) init(server);
  const client = new Y.Doc();
  Y.applyUpdate(client, Y.encodeStateAsUpdate(server));
  const guard = new SchemaGuard(server, schema);
  return {
    server,
    client,
    guard,
    /** Applies `change` on the client, checks its update on the server, applies it there if accepted. */
    edit(change: (doc: Y.Doc) => void) {
      const updates: Uint8Array[] = [];
      const onUpdate = (u: Uint8Array) => updates.push(u);
      client.on('update', onUpdate);
      client.transact(() => change(client));
      client.off('update', onUpdate);
      const update = Y.mergeUpdates(updates);
      const verdict = guard.check(update);
      if (verdict.ok) Y.applyUpdate(server, update);
      return verdict;
    },
  };
}

const notebook = (doc: Y.Doc) =>
  initSharedDoc(doc, notebookOf([{ cell_type: 'code', id: 'c1', source: 'x = 1', metadata: {}, execution_count: null, outputs: [] }]));

const firstCell = (doc: Y.Doc) => sharedDoc(doc).cells.get(0);

describe('schema guard: what clients write is accepted', () => {
  it('typing, inserting, moving, retyping and deleting cells', () => {
    const p = pair(SHARED_SCHEMA, notebook);
    assert.deepEqual(p.edit((d) => cellSource(firstCell(d)).insert(5, '0')), { ok: true, addsContent: true, deletes: false });
    assert.equal(p.edit((d) => cellSource(firstCell(d)).delete(0, 2)).ok, true);
    assert.equal(p.edit((d) => sharedDoc(d).cells.push([createCellMap({ cell_type: 'markdown', source: '# hi', metadata: {} })])).ok, true);
    assert.equal(
      p.edit((d) => {
        const cells = sharedDoc(d).cells;
        const copy = createCellMap({ cell_type: 'raw', id: 'c1', source: 'moved', metadata: { cohort: { scope: 'shared' } } });
        cells.delete(0, 1);
        cells.insert(1, [copy]);
      }).ok,
      true,
    );
    assert.equal(p.edit((d) => firstCell(d).get('metadata') instanceof Y.Map && (firstCell(d).get('metadata') as Y.Map<unknown>).set('tags', ['a'])).ok, true);
    assert.deepEqual(p.edit((d) => sharedDoc(d).cells.delete(0, 1)), { ok: true, addsContent: false, deletes: true });
    assert.equal(sharedDoc(p.server).cells.length, 1);
  });

  it('the whole state of a client that was offline (a sync step 2)', () => {
    const p = pair(SHARED_SCHEMA, notebook);
    const offline = new Y.Doc();
    Y.applyUpdate(offline, Y.encodeStateAsUpdate(p.server));
    for (let i = 0; i < 20; i++) {
      const cells = sharedDoc(offline).cells;
      cells.push([createCellMap({ cell_type: 'code', source: `print(${i})`, metadata: {}, outputs: [], execution_count: null })]);
      cellSource(cells.get(cells.length - 1)).insert(0, `# ${i}\n`);
      if (i % 3 === 0) cells.delete(0, 1);
    }
    const update = Y.encodeStateAsUpdate(offline, Y.encodeStateVector(p.server));
    assert.equal(p.guard.check(update).ok, true);
    // Everything at once, into an empty document, as when a room is seeded by a client.
    assert.equal(new SchemaGuard(new Y.Doc(), SHARED_SCHEMA).check(Y.encodeStateAsUpdate(offline)).ok, true);
  });

  it("what @jupyter/ydoc's YNotebook writes", () => {
    const theirs = YNotebook.create({ data: { metadata: { kernelspec: { name: 'python3', display_name: 'Python 3' } } } });
    opened.push(theirs);
    theirs.setMetadata('custom', { a: [1, 2] });
    theirs.insertCells(0, [
      { cell_type: 'markdown', id: 'md-1', source: '# Hi', metadata: { tags: ['t'] }, attachments: { 'a.png': { 'image/png': 'AAAA' } } },
      {
        cell_type: 'code',
        id: 'code-1',
        source: 'print(1)',
        metadata: {},
        execution_count: 3,
        outputs: [
          { output_type: 'stream', name: 'stdout', text: '1\n' },
          { output_type: 'execute_result', execution_count: 3, data: { 'text/plain': '1' }, metadata: {} },
        ],
      },
    ]);
    theirs.cells[1]!.updateSource(0, 5, 'display');
    const verdict = new SchemaGuard(new Y.Doc(), SHARED_SCHEMA).check(Y.encodeStateAsUpdate(theirs.ydoc));
    assert.equal(verdict.ok && verdict.addsContent, true, JSON.stringify(verdict));
  });

  it('private documents: widget state changes, outputs, executions, stdin', () => {
    const p = pair(PRIVATE_SCHEMA, (doc) => {
      privateDoc(doc).widgets.set('w1', createWidgetModel({ model_name: 'IntSliderModel', model_module: '@jupyter-widgets/controls', model_module_version: '2.0.0', state: { value: 1 } }));
    });
    assert.equal(p.edit((d) => widgetState(privateDoc(d).widgets.get('w1')!).set('value', 5)).ok, true);
    assert.equal(p.edit((d) => widgetState(privateDoc(d).widgets.get('w1')!).set('buffer', new Uint8Array([1, 2]))).ok, true);
    const outputs = new Y.Array<Y.Map<unknown>>();
    outputs.push([outputToYMap({ output_type: 'stream', name: 'stdout', text: 'hi\n' })]);
    assert.equal(p.edit((d) => privateDoc(d).outputs.set('c1', outputs)).ok, true);
    assert.equal(p.edit((d) => privateDoc(d).executions.set('c1', { status: 'ok', execution_count: 1, queued_at: 1 })).ok, true);
  });
});

describe('schema guard: what breaks the schema is refused', () => {
  const refusals: Array<[string, (doc: Y.Doc) => void]> = [
    ['plain values in cells (the reproduction)', (d) => sharedDoc(d).cells.insert(0, ['not a cell', 42] as never[])],
    ['a foreign root', (d) => d.getMap('evil').set('x', 1)],
    ['a foreign root of text', (d) => d.getText('notes').insert(0, 'hello')],
    ['cells written as text', (d) => d.getText('cells').insert(0, 'x')],
    ['a map entry on the cells array', (d) => d.getMap('cells').set('x', 1)],
    ['a string source', (d) => firstCell(d).set('source', 'plain string')],
    ['metadata as a plain object', (d) => firstCell(d).set('metadata', { a: 1 })],
    ['a numeric cell id', (d) => firstCell(d).set('id', 7)],
    ['an unknown cell type', (d) => firstCell(d).set('cell_type', 'script')],
    ['an array as outputs element', (d) => (firstCell(d).get('outputs') as Y.Array<unknown>).push([new Y.Array()])],
    ['an output without output_type', (d) => (firstCell(d).get('outputs') as Y.Array<unknown>).push([new Y.Map()])],
    ['a new cell without source', (d) => sharedDoc(d).cells.push([new Y.Map()])],
    ['a Y.Map inside cell metadata', (d) => (firstCell(d).get('metadata') as Y.Map<unknown>).set('nested', new Y.Map())],
    ['deleting the source of a cell', (d) => firstCell(d).delete('source')],
    ['a value nested 200 deep', (d) => (firstCell(d).get('metadata') as Y.Map<unknown>).set('deep', JSON.parse('['.repeat(200) + ']'.repeat(200)))],
    ['a bigint', (d) => (firstCell(d).get('metadata') as Y.Map<unknown>).set('big', 10n as never)],
    ['binary in cell metadata', (d) => (firstCell(d).get('metadata') as Y.Map<unknown>).set('bin', new Uint8Array([1]))],
    ['an embed in a source', (d) => cellSource(firstCell(d)).insertEmbed(0, { image: 'x' })],
    ['a sub-document', (d) => (firstCell(d).get('metadata') as Y.Map<unknown>).set('doc', new Y.Doc())],
    ['an XML fragment in cells', (d) => sharedDoc(d).cells.push([new Y.XmlFragment() as never])],
  ];
  for (const [name, change] of refusals) {
    it(name, () => {
      const p = pair(SHARED_SCHEMA, notebook);
      const before = Y.encodeStateAsUpdate(p.server);
      const verdict = p.edit(change);
      assert.equal(verdict.ok, false, `accepted: ${name}`);
      assert.equal(!verdict.ok && verdict.kind, 'schema');
      if (process.env.SHOW_REASONS) console.log(name, '→', !verdict.ok && verdict.reason);
      assert.deepEqual(Y.encodeStateAsUpdate(p.server), before);
    });
  }

  it('replacing a required key is not deleting it', () => {
    const p = pair(SHARED_SCHEMA, notebook);
    assert.equal(p.edit((d) => firstCell(d).set('source', new Y.Text('new'))).ok, true);
    assert.equal(cellSource(firstCell(p.server)).toString(), 'new');
  });

  it('private documents refuse shared-document roots and wrong outputs', () => {
    for (const change of [
      (d: Y.Doc) => sharedDoc(d).cells.push([createCellMap({ cell_type: 'code', source: '' })]),
      (d: Y.Doc) => privateDoc(d).outputs.set('c1', 'text' as never),
      (d: Y.Doc) => privateDoc(d).widgets.set('w', new Y.Map()),
    ]) {
      const verdict = pair(PRIVATE_SCHEMA).edit(change);
      assert.equal(!verdict.ok && verdict.kind, 'schema');
    }
  });
});

describe('schema guard: missing dependencies', () => {
  it('refuses an update whose predecessor the server lacks, and accepts both in order', () => {
    const p = pair(SHARED_SCHEMA, notebook);
    const updates: Uint8Array[] = [];
    p.client.on('update', (u: Uint8Array) => updates.push(u));
    cellSource(firstCell(p.client)).insert(0, 'A');
    cellSource(firstCell(p.client)).insert(1, 'B');
    const [a, b] = updates as [Uint8Array, Uint8Array];
    const refused = p.guard.check(b);
    assert.equal(!refused.ok && refused.kind, 'missing-dependencies');
    assert.equal(p.guard.check(a).ok, true);
    Y.applyUpdate(p.server, a);
    assert.equal(p.guard.check(b).ok, true);
  });

  it("refuses a reference to another client's unknown item and a deletion of unknown items", () => {
    const p = pair(SHARED_SCHEMA, notebook);
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(p.server));
    cellSource(firstCell(other)).insert(0, 'unknown to the server ');
    Y.applyUpdate(p.client, Y.encodeStateAsUpdate(other));
    const insert = Y.encodeStateAsUpdate(p.client, Y.encodeStateVector(other)); // nothing: the client has only what other has
    assert.equal(p.guard.check(insert).ok, true);
    const updates: Uint8Array[] = [];
    p.client.on('update', (u: Uint8Array) => updates.push(u));
    cellSource(firstCell(p.client)).insert(3, 'x'); // right after other's text
    cellSource(firstCell(p.client)).delete(0, 2); // other's characters
    for (const u of updates) {
      const verdict = p.guard.check(u);
      assert.equal(!verdict.ok && verdict.kind, 'missing-dependencies');
    }
  });

  it('refuses garbage', () => {
    const verdict = new SchemaGuard(new Y.Doc(), SHARED_SCHEMA).check(new Uint8Array([5, 1, 2, 3, 4, 5]));
    assert.equal(verdict.ok, false);
  });
});
