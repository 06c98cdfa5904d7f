import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  NotebookFormatError,
  isValidCellId,
  parseNotebook,
  parseNotebookWithRepairs,
} from '../../../server/notebooks/nbformat.ts';
import { fixture } from './notebookFiles.ts';

function minimal(cells: unknown[], minor = 5): Record<string, unknown> {
  return { nbformat: 4, nbformat_minor: minor, metadata: {}, cells };
}

function code(id: string | undefined, outputs: unknown[] = []): Record<string, unknown> {
  return { ...(id === undefined ? {} : { id }), cell_type: 'code', metadata: {}, source: 'x = 1', execution_count: 1, outputs };
}

/** Asserts `fn` throws a NotebookFormatError at `path` whose message names the path. */
function throwsAt(fn: () => unknown, path: string, problem?: RegExp): NotebookFormatError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof NotebookFormatError, `expected NotebookFormatError, got ${String(caught)}`);
  assert.equal(caught.path, path);
  if (path) assert.ok(caught.message.includes(path), `message "${caught.message}" does not name ${path}`);
  if (problem) assert.match(caught.message, problem);
  return caught;
}

describe('parseNotebook: bad input', () => {
  it('refuses what is not a JSON object', () => {
    throwsAt(() => parseNotebook([]), '', /must be a JSON object, got an array/);
    throwsAt(() => parseNotebook('{"cells": []}'), '', /got a string/);
    throwsAt(() => parseNotebook(null), '', /got null/);
    throwsAt(() => parseNotebook(42), '', /got a number/);
  });

  it('refuses nbformat 3 and 5 with clear messages, and a document with no nbformat', () => {
    throwsAt(() => parseNotebook({ nbformat: 3, nbformat_minor: 0, metadata: {}, worksheets: [] }), '/nbformat', /nbformat 3 is not supported/);
    throwsAt(() => parseNotebook({ nbformat: 5, nbformat_minor: 0, metadata: {}, cells: [] }), '/nbformat', /nbformat 5 is newer/);
    throwsAt(() => parseNotebook({ cells: [] }), '/nbformat', /missing/);
    throwsAt(() => parseNotebook({ nbformat: '4', nbformat_minor: 5, metadata: {}, cells: [] }), '/nbformat', /integer/);
    throwsAt(() => parseNotebook({ nbformat: 4, metadata: {}, cells: [] }), '/nbformat_minor', /missing/);
  });

  it('names missing cells', () => {
    throwsAt(() => parseNotebook({ nbformat: 4, nbformat_minor: 5, metadata: {} }), '/cells', /required property is missing/);
  });

  it('names an unknown output_type by its path, not with oneOf noise', () => {
    const nb = minimal([
      { id: 'md', cell_type: 'markdown', metadata: {}, source: '' },
      code('a'),
      code('b'),
      code('c', [{ output_type: 'stream', name: 'stdout', text: 'ok' }]),
      code('d', [{ output_type: 'printout', text: 'hi' }]),
    ]);
    const error = throwsAt(() => parseNotebook(nb), '/cells/4/outputs/0/output_type', /unknown output_type "printout"/);
    assert.doesNotMatch(error.message, /oneOf/);
    assert.match(error.message, /execute_result, display_data, stream, error/);
  });

  it('names an unknown cell_type', () => {
    throwsAt(() => parseNotebook(minimal([code('a'), { id: 'b', cell_type: 'heading', metadata: {}, source: '' }])), '/cells/1/cell_type', /unknown cell_type "heading"/);
  });

  it('names a missing or non-string cell_type', () => {
    throwsAt(() => parseNotebook(minimal([{ id: 'a', metadata: {}, source: '' }])), '/cells/0/cell_type', /missing/);
    throwsAt(() => parseNotebook(minimal([{ id: 'a', cell_type: 7, metadata: {}, source: '' }])), '/cells/0/cell_type', /got 7/);
  });

  it('points inside a cell of the right kind', () => {
    throwsAt(() => parseNotebook(minimal([code('a', [{ output_type: 'stream', name: 'stdout' }])])), '/cells/0/outputs/0/text', /missing/);
    throwsAt(() => parseNotebook(minimal([{ ...code('a'), source: ['ok\n', 3] }])), '/cells/0/source/1', /must be string/);
    throwsAt(() => parseNotebook(minimal([{ ...code('a'), source: 7 }])), '/cells/0/source', /must be string or array/);
    throwsAt(() => parseNotebook(minimal([{ ...code('a'), execution_count: 'one' }])), '/cells/0/execution_count', /integer or null/);
    throwsAt(() => parseNotebook(minimal([{ ...code('a'), attachments: {} }])), '/cells/0/attachments', /not allowed/);
    throwsAt(
      () => parseNotebook(minimal([code('a', [{ output_type: 'display_data', data: {}, metadata: {}, transient: {} }])])),
      '/cells/0/outputs/0/transient',
      /not allowed/,
    );
  });

  it('refuses an invalid cell id in a 4.5 notebook (a mistake, not an old format)', () => {
    throwsAt(() => parseNotebook(minimal([code('has space')])), '/cells/0/id', /pattern/);
    throwsAt(() => parseNotebook(minimal([code('x'.repeat(65))])), '/cells/0/id');
  });

  it('does not modify its input', () => {
    const nb = fixture('rich-outputs-v4.4.ipynb');
    const before = structuredClone(nb);
    parseNotebook(nb);
    assert.deepEqual(nb, before);
  });
});

describe('parseNotebook: upgrade to 4.5', () => {
  it('accepts 4.0-4.4 notebooks without ids and gives every cell a valid unique id', () => {
    for (const minor of [0, 1, 2, 3, 4]) {
      const nb = parseNotebook(minimal([code(undefined), code(undefined), { cell_type: 'raw', metadata: {}, source: 'r' }], minor));
      assert.equal(nb.nbformat_minor, 5);
      const ids = nb.cells.map((c) => c.id);
      assert.ok(ids.every(isValidCellId), `invalid ids ${ids.join(',')}`);
      assert.equal(new Set(ids).size, ids.length);
    }
  });

  it('keeps valid ids, repairs duplicates and (in old notebooks) invalid ones', () => {
    const { notebook, repairs } = parseNotebookWithRepairs(minimal([code('keep'), code('keep'), code('bad id!'), code(undefined)], 4));
    const ids = notebook.cells.map((c) => c.id ?? '');
    assert.equal(ids[0], 'keep');
    assert.notEqual(ids[1], 'keep');
    assert.ok(ids.every(isValidCellId));
    assert.equal(new Set(ids).size, 4);
    assert.deepEqual(
      repairs.map((r) => r.path),
      ['/cells/1/id', '/cells/2/id', '/cells'],
    );
  });

  it('repairs duplicate ids in a 4.5 notebook too', () => {
    const ids = parseNotebook(minimal([code('a'), code('b'), code('a')])).cells.map((c) => c.id);
    assert.deepEqual(ids.slice(0, 2), ['a', 'b']);
    assert.ok(ids[2] !== 'a' && ids[2] !== 'b' && isValidCellId(ids[2]));
  });

  it('a fresh id never collides with an id later in the notebook', () => {
    const nb = parseNotebook(minimal([code(undefined), code('z')], 4));
    assert.notEqual(nb.cells[0]?.id, 'z');
  });

  it('drops metadata that breaks the schema instead of refusing the notebook, and says so', () => {
    const input = {
      ...minimal([{ ...code('a'), metadata: { tags: 'not-a-list', keep: 1 } }]),
      metadata: { kernelspec: { language: 'python' }, language_info: { name: 'python' } },
    };
    const { notebook, repairs } = parseNotebookWithRepairs(input);
    assert.deepEqual(notebook.metadata, { language_info: { name: 'python' } });
    assert.deepEqual(notebook.cells[0]?.metadata, { keep: 1 });
    assert.deepEqual(
      repairs.map((r) => r.path),
      ['/metadata/kernelspec/name', '/cells/0/metadata/tags'],
    );
  });

  it('validates later 4.x minors as 4.5', () => {
    assert.equal(parseNotebook(minimal([code('a')], 9)).nbformat_minor, 5);
    throwsAt(() => parseNotebook(minimal([{ ...code('a'), future_field: 1 }], 9)), '/cells/0/future_field', /not allowed/);
  });
});

describe('the bundled nbformat v4.5 schema', () => {
  const text = readFileSync(new URL('../../../server/notebooks/nbformat.v4.5.schema.json', import.meta.url), 'utf8');
  const schema = JSON.parse(text) as Record<string, unknown>;

  it('is the official file, draft-04 header kept', () => {
    assert.equal(schema['$schema'], 'http://json-schema.org/draft-04/schema#');
    assert.equal(schema['description'], 'Jupyter Notebook v4.5 JSON schema.');
    assert.equal(text, readFileSync('/usr/lib/python3/dist-packages/nbformat/v4/nbformat.v4.5.schema.json', 'utf8'));
  });

  it('uses no keyword whose meaning changed after draft-04 (so Ajv draft-07 validates it the same)', () => {
    const found: string[] = [];
    const walk = (node: unknown, key: string) => {
      if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${key}/${i}`));
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          const insideProperties = key.endsWith('/properties') || key.endsWith('/patternProperties') || key.endsWith('/definitions');
          if (!insideProperties && (k === 'exclusiveMinimum' || k === 'exclusiveMaximum' || k === 'id')) found.push(`${key}/${k}`);
          walk(v, `${key}/${k}`);
        }
      }
    };
    walk(schema, '');
    assert.deepEqual(found, []);
  });
});
