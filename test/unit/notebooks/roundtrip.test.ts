// Import → shared Y.Doc → export must keep a notebook's content, and what we write must be a
// notebook Jupyter itself accepts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as Y from 'yjs';
import { parseNotebook, parseNotebookWithRepairs } from '../../../server/notebooks/nbformat.ts';
import type { NotebookRepair } from '../../../server/notebooks/nbformat.ts';
import { exportNotebook } from '../../../server/export/index.ts';
import { initSharedDoc, sharedDocToNotebook } from '../../../shared/schema.ts';
import type { Notebook } from '../../../shared/nbformat.ts';
import { fixtureNotebooks, nbclientNotebooks, normalizeNotebook, pythonValidate } from './notebookFiles.ts';
import type { NotebookFile } from './notebookFiles.ts';

function docFrom(nb: Notebook): Y.Doc {
  const doc = new Y.Doc();
  initSharedDoc(doc, nb);
  return doc;
}

function exportIpynb(doc: Y.Doc): string {
  return exportNotebook(sharedDocToNotebook(doc), 'ipynb', { name: 'x' }).body;
}

const files: NotebookFile[] = [...nbclientNotebooks(), ...fixtureNotebooks()];

/** The original file with the metadata entries the import dropped removed, to compare against. */
function expectedAfter(json: Record<string, unknown>, repairs: readonly NotebookRepair[]): Record<string, unknown> {
  const copy = structuredClone(json);
  for (const repair of repairs.filter((r) => r.message.startsWith('dropped metadata'))) {
    const parts = repair.path.split('/').slice(1);
    const depth = parts[0] === 'metadata' ? 1 : 3;
    let owner: unknown = copy;
    for (const part of parts.slice(0, depth)) owner = (owner as Record<string, unknown>)[part];
    delete (owner as Record<string, unknown>)[parts[depth] ?? ''];
  }
  return copy;
}

// nbclient's Output.ipynb has `kernelspec: { language }` without the required name and
// display_name; Python's nbformat.validate rejects it too. It is the only sample that needs this.
const EXPECTED_METADATA_REPAIRS: Record<string, string[]> = { 'Output.ipynb': ['/metadata/kernelspec/name'] };

describe('ipynb round trip through the shared document', () => {
  it('has the sample notebooks to work on', () => {
    assert.ok(files.filter((f) => !f.name.includes('-')).length >= 20, 'nbclient sample notebooks missing');
    assert.ok(files.filter((f) => f.name.includes('-')).length >= 3, 'fixture notebooks missing');
  });

  const exported = new Map<string, string>();

  for (const file of files) {
    it(`keeps cells, sources, metadata and outputs of ${file.name}`, () => {
      const { notebook: parsed, repairs } = parseNotebookWithRepairs(file.json);
      const dropped = repairs.filter((r) => r.message.startsWith('dropped metadata')).map((r) => r.path);
      assert.deepEqual(dropped, EXPECTED_METADATA_REPAIRS[file.name] ?? []);
      const expected = expectedAfter(file.json, repairs);
      const doc = docFrom(parsed);
      const body = exportIpynb(doc);
      exported.set(file.name, body);
      const back = JSON.parse(body) as Notebook;

      assert.equal(back.nbformat, 4);
      assert.equal(back.nbformat_minor, 5);
      assert.ok(body.endsWith('}\n'), 'ends with a newline as Jupyter writes it');
      assert.match(body, /^\{\n "cells": \[/, 'indent 1, keys sorted');
      // Content equal to the file we started from (ids aside: old notebooks had none)...
      assert.deepEqual(normalizeNotebook(back, { ids: false }), normalizeNotebook(expected, { ids: false }));
      // ...and the ids are the ones the import settled on (the file's own for 4.5 notebooks).
      assert.deepEqual(back.cells.map((c) => c.id), parsed.cells.map((c) => c.id));
      const minor = file.json['nbformat_minor'];
      if (typeof minor === 'number' && minor >= 5) {
        assert.deepEqual(normalizeNotebook(back, { ids: true }), normalizeNotebook(expected, { ids: true }));
      }
    });
  }

  it('writes notebooks that Python nbformat.validate accepts', async () => {
    const names = files.map((f) => f.name);
    const texts = names.map((name) => exported.get(name) ?? exportIpynb(docFrom(parseNotebook(files.find((f) => f.name === name)?.json))));
    const results = await pythonValidate(texts);
    assert.equal(results.length, names.length);
    const failures = names.map((name, i) => [name, results[i]]).filter(([, error]) => error !== null);
    assert.deepEqual(failures, []);
  });

  it('sees through Python a notebook it should reject (the check is live)', async () => {
    const [result] = await pythonValidate(['{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code"}]}']);
    assert.ok(result, 'Python nbformat accepted an invalid notebook');
  });

  for (const file of files) {
    it(`exports ${file.name} the same from a document rebuilt from its update`, () => {
      const doc = docFrom(parseNotebook(file.json));
      const fresh = new Y.Doc();
      Y.applyUpdate(fresh, Y.encodeStateAsUpdate(doc));
      assert.equal(fresh.getArray('cells').length, doc.getArray('cells').length);
      assert.equal(exportIpynb(fresh), exportIpynb(doc));
    });
  }

  it('keeps outputs, metadata and source lists of the fixtures in detail', () => {
    const file = files.find((f) => f.name === 'unicode-raw-error.ipynb');
    assert.ok(file);
    const back = JSON.parse(exportIpynb(docFrom(parseNotebook(file.json)))) as Notebook;
    const [md, code, error, raw] = back.cells;
    assert.equal(md?.id, 'intro-md');
    assert.deepEqual(md?.metadata['tags'], ['intro', 'séance']);
    assert.deepEqual(code?.source, ["for word in ['naïve', 'café', '🐍']:\n", '    print(word)']);
    assert.ok(code?.cell_type === 'code');
    assert.deepEqual(code.outputs[0], { output_type: 'stream', name: 'stdout', text: ['naïve\n', 'café\n', '🐍\n'] });
    assert.ok(error?.cell_type === 'code' && error.outputs[0]?.output_type === 'error');
    assert.equal(error.outputs[0].ename, 'ZeroDivisionError');
    assert.equal(raw?.cell_type, 'raw');
    assert.deepEqual(raw?.metadata, { raw_mimetype: 'text/restructuredtext', tags: ['raw'] });
  });
});
