// The path rules of file uploads and downloads (server/files/paths.ts): plain relative names pass,
// everything that could climb out, hide, or look like another name is refused with a message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';

import { FilePathError, parseFilePath } from '../../../server/files/paths.ts';

test('plain relative paths split into their names; the root only when allowed', () => {
  assert.deepEqual(parseFilePath('scores.csv'), ['scores.csv']);
  assert.deepEqual(parseFilePath('data/2024/scores v2.csv'), ['data', '2024', 'scores v2.csv']);
  assert.deepEqual(parseFilePath('café.csv'), ['café.csv']);
  assert.deepEqual(parseFilePath('', { allowRoot: true }), []);
  assert.throws(() => parseFilePath(''), FilePathError);
});

test('refuses absolute paths, climbing, NUL, backslashes, dotfiles, long names, deep paths and non-NFC names', () => {
  const corpus: Array<[unknown, RegExp]> = [
    ['/etc/passwd', /absolute/],
    ['..', /climb/],
    ['a/../../b', /climb/],
    ['./a', /climb/],
    ['a//b', /empty name/],
    ['a/', /empty name/],
    ['a\u0000b', /NUL/],
    ['a\nb', /control/],
    ['a\\..\\b', /backslash/],
    ['.ssh/id_rsa', /starts with a dot/],
    ['n'.repeat(256), /longer than 255/],
    [`${'é'.repeat(128)}`, /longer than 255/],
    [Array(17).fill('d').join('/'), /deeper/],
    ['cafe\u0301.csv', /NFC/],
    [42, /string/],
  ];
  for (const [path, message] of corpus) assert.throws(() => parseFilePath(path), (error: Error) => error instanceof FilePathError && message.test(error.message), String(path));
});

test('whatever a path is, an accepted one names no parent, no root and nothing hidden', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('a', '.', '/', '\\', '\u0000', 'e', '\u0301', ' ') }), (path) => {
      let segments: string[];
      try {
        segments = parseFilePath(path);
      } catch (error) {
        return error instanceof FilePathError;
      }
      return segments.length > 0 && segments.every((s) => s !== '' && !s.startsWith('.') && !s.includes('/') && !s.includes('\\') && !s.includes('\u0000') && s.normalize('NFC') === s);
    }),
    { numRuns: 2000 },
  );
});
