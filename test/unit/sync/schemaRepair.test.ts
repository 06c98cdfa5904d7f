// The repair on load: what the schema forbids is removed (and copied for the log), what it allows
// is kept, and the result passes the update guard as a whole.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as Y from 'yjs';
import { PRIVATE_SCHEMA, SHARED_SCHEMA } from '../../../server/sync/docSchema.ts';
import { SchemaGuard } from '../../../server/sync/schemaGuard.ts';
import { repairDocument } from '../../../server/sync/schemaRepair.ts';
import { cellSource, initSharedDoc, notebookOf, sharedDocToNotebook } from '../../../shared/schema.ts';
import { privateDoc, sharedDoc } from '../../../shared/layout.ts';

/** A document as an old server could have stored it: good cells plus junk no guard checked. */
function brokenDocument(): Y.Doc {
  const doc = new Y.Doc();
  initSharedDoc(
    doc,
    notebookOf([
      { cell_type: 'code', id: 'good1', source: 'a = 1', metadata: {}, execution_count: null, outputs: [] },
      { cell_type: 'markdown', id: 'good2', source: '# kept', metadata: {} },
    ]),
  );
  const cells = sharedDoc(doc).cells;
  cells.insert(1, ['not a cell', 42] as never[]);
  cells.push([new Y.Map()]); // a cell without anything
  doc.getMap('evil').set('payload', { x: 1 });
  doc.getText('notes').insert(0, 'stray text');
  const first = cells.get(0);
  (first.get('outputs') as Y.Array<unknown>).push(['a string output']);
  (first.get('metadata') as Y.Map<unknown>).set('fine', 'kept');
  const broken = cells.get(3); // 'good2', after the two junk values
  broken.set('source', 'a plain string'); // the cell loses its required source
  return doc;
}

describe('repair on load', () => {
  it('removes what the schema forbids, keeps the rest, and copies what it removed', () => {
    // Through an update, as a stored document is loaded.
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(brokenDocument()));
    const removed = repairDocument(doc, SHARED_SCHEMA, 'repair');
    const byPath = new Map(removed.map((entry) => [entry.path, entry]));
    assert.deepEqual(
      [...byPath.keys()].sort(),
      ['cells[0].outputs[0]', 'cells[1]', 'cells[3].source', 'cells[3]', 'cells[4]', 'evil.payload', 'notes[0]'].sort(),
    );
    assert.equal(byPath.get('cells[1]')!.copy, '["not a cell",42]');
    assert.equal(byPath.get('evil.payload')!.copy, '[{"x":1}]');
    assert.equal(byPath.get('notes[0]')!.copy, '"stray text"');
    assert.match(byPath.get('cells[3]')!.reason, /without source/);

    const notebook = sharedDocToNotebook(doc);
    assert.deepEqual(notebook.cells.map((c) => c.id), ['good1']);
    assert.equal(cellSource(sharedDoc(doc).cells.get(0)).toString(), 'a = 1');
    assert.deepEqual(notebook.cells[0]!.metadata, { fine: 'kept' });
    // What is left is a document the guard would accept whole.
    assert.deepEqual(new SchemaGuard(new Y.Doc(), SHARED_SCHEMA).check(Y.encodeStateAsUpdate(doc)), { ok: true, addsContent: true, deletes: true });
    // Once repaired, nothing more to do.
    assert.deepEqual(repairDocument(doc, SHARED_SCHEMA, 'repair'), []);
  });

  it('the repair is one update that brings another copy of the document to the same state', () => {
    const stored = Y.encodeStateAsUpdate(brokenDocument());
    const doc = new Y.Doc();
    Y.applyUpdate(doc, stored);
    const updates: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => updates.push(u));
    repairDocument(doc, SHARED_SCHEMA, 'repair');
    assert.equal(updates.length, 1);
    const reloaded = new Y.Doc();
    Y.applyUpdate(reloaded, stored);
    Y.applyUpdate(reloaded, updates[0]!);
    assert.deepEqual(sharedDocToNotebook(reloaded), sharedDocToNotebook(doc));
    assert.deepEqual(repairDocument(reloaded, SHARED_SCHEMA, 'repair'), []);
  });

  it('drops structs waiting for missing dependencies', () => {
    const source = new Y.Doc();
    const updates: Uint8Array[] = [];
    source.on('update', (u: Uint8Array) => updates.push(u));
    source.getMap('kernel').set('status', 'idle');
    source.getMap('kernel').set('status', 'busy');
    const doc = new Y.Doc();
    Y.applyUpdate(doc, updates[1]!); // without its predecessor: pending
    assert.ok(doc.store.pendingStructs);
    const removed = repairDocument(doc, PRIVATE_SCHEMA, 'repair');
    assert.equal(removed[0]?.path, '(pending)');
    assert.equal(doc.store.pendingStructs, null);
    assert.equal(Y.encodeStateAsUpdate(doc).byteLength, Y.encodeStateAsUpdate(new Y.Doc()).byteLength);
  });

  it('a private document keeps its outputs and widgets and loses shared-document roots', () => {
    const doc = new Y.Doc();
    privateDoc(doc).kernel.set('status', 'idle');
    sharedDoc(doc).cells.push([new Y.Map()]);
    const removed = repairDocument(doc, PRIVATE_SCHEMA, 'repair');
    assert.deepEqual(removed.map((r) => r.path), ['cells[0]']);
    assert.equal(privateDoc(doc).kernel.get('status'), 'idle');
  });
});
