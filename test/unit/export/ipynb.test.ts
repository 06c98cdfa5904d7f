import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXPORT_FORMATS, exportNotebook, isExportFormat } from '../../../server/export/index.ts';
import type { Notebook } from '../../../shared/nbformat.ts';
import { pythonValidate } from '../notebooks/notebookFiles.ts';

const notebook: Notebook = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: 'python3', display_name: 'Python 3' }, orig_nbformat: 3, signature: 'sha256:x' },
  cells: [
    {
      id: 'c1',
      cell_type: 'code',
      source: 'from IPython.display import display\ndisplay("a", display_id=True)\n',
      metadata: { trusted: true, tags: ['t'] },
      execution_count: 2,
      outputs: [
        { output_type: 'display_data', data: { 'text/plain': "'a'\n'b'", 'application/json': { x: 'y\nz' } }, metadata: {}, transient: { display_id: 'd1' } },
        { output_type: 'execute_result', execution_count: 2, data: { 'text/plain': '1' }, metadata: {}, transient: {} },
        { output_type: 'stream', name: 'stdout', text: 'one\ntwo\n' },
      ],
    },
    { cell_type: 'markdown', source: ['# T', 'itle\n', 'x'], metadata: {}, attachments: { 'a.svg': { 'image/svg+xml': '<svg>\n</svg>' } } },
    { id: 'c1', cell_type: 'raw', source: '', metadata: {} },
  ],
};

describe('ipynb export', () => {
  const result = exportNotebook(notebook, 'ipynb', { name: 'folder/My analysis.ipynb' });
  const back = JSON.parse(result.body) as Notebook;

  it('answers with Jupyter media type and a safe file name', () => {
    assert.equal(result.contentType, 'application/x-ipynb+json');
    assert.equal(result.filename, 'My analysis.ipynb');
    assert.deepEqual(
      EXPORT_FORMATS.map((format) => exportNotebook(notebook, format, { name: '../"evil"\r\n.ipynb' }).filename),
      ['evil.ipynb', 'evil.py', 'evil.md', 'evil.html'],
    );
    assert.equal(exportNotebook(notebook, 'md', { name: '' }).filename, 'notebook.md');
    assert.ok(isExportFormat('html') && !isExportFormat('pdf') && !isExportFormat(undefined));
  });

  it('is written as nbformat writes it: indent 1, sorted keys, trailing newline', () => {
    assert.ok(result.body.startsWith('{\n "cells": [\n  {\n   "cell_type": "code",\n   "execution_count": 2,\n   "id": "c1",\n'));
    assert.ok(result.body.endsWith('\n "nbformat": 4,\n "nbformat_minor": 5\n}\n'));
  });

  it('drops transient keys and the metadata nbformat strips on write', () => {
    assert.doesNotMatch(result.body, /"transient"|"display_id"|orig_nbformat|signature|trusted/);
    assert.deepEqual(back.metadata, { kernelspec: { name: 'python3', display_name: 'Python 3' } });
    assert.deepEqual(back.cells[0]?.metadata, { tags: ['t'] });
  });

  it('splits multiline text into lines, leaving JSON mimes alone', () => {
    const code = back.cells[0];
    assert.ok(code?.cell_type === 'code');
    assert.deepEqual(code.source, ['from IPython.display import display\n', 'display("a", display_id=True)\n']);
    const [display, , stream] = code.outputs;
    assert.ok(display?.output_type === 'display_data');
    assert.deepEqual(display.data, { 'text/plain': ["'a'\n", "'b'"], 'application/json': { x: 'y\nz' } });
    assert.deepEqual(stream, { output_type: 'stream', name: 'stdout', text: ['one\n', 'two\n'] });
    const md = back.cells[1];
    assert.ok(md?.cell_type === 'markdown');
    assert.deepEqual(md.source, ['# Title\n', 'x']);
    assert.deepEqual(md.attachments, { 'a.svg': { 'image/svg+xml': ['<svg>\n', '</svg>'] } });
    assert.deepEqual(back.cells[2]?.source, []);
  });

  it('keeps ids and gives missing or duplicate ones fresh unique ids', () => {
    const ids = back.cells.map((c) => c.id ?? '');
    assert.equal(ids[0], 'c1');
    assert.equal(new Set(ids).size, 3);
    assert.ok(ids.every((id) => /^[a-zA-Z0-9-_]{1,64}$/.test(id)));
  });

  it('passes Python nbformat.validate', async () => {
    assert.deepEqual(await pythonValidate([result.body]), [null]);
  });
});
