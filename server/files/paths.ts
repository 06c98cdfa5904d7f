// What a file path given by a client may be: relative, made of plain names, each in NFC. Anything
// else is refused with a clear error before the file system is touched, so a path can never climb
// out of its folder or name the same file twice under different spellings.

import { HttpError } from '../errors.ts';

/** Longest name of one file or folder, in UTF-8 bytes (most file systems allow 255). */
export const MAX_NAME_BYTES = 255;
/** Longest relative path, in UTF-8 bytes. */
export const MAX_PATH_BYTES = 1024;
/** Deepest folder nesting. */
export const MAX_DEPTH = 16;

/** A client's path the rules refuse: a 400 `invalid_path`. */
export class FilePathError extends HttpError {
  constructor(message: string) {
    super(400, 'invalid_path', message);
  }
}

/**
 * The segments of a client's relative path (`''` or `'/'`-free input names the root: no segments).
 * Refused: absolute paths, `.` and `..`, empty segments, NUL and other control characters,
 * backslashes, names starting with `.` (dotfiles are the kernels' own: caches, configuration),
 * over-long names and paths, and names not in Unicode NFC (`café` typed as `e` + combining accent
 * would otherwise sit beside `café` and look the same).
 */
export function parseFilePath(path: unknown, { allowRoot = false } = {}): string[] {
  if (typeof path !== 'string') throw new FilePathError('the path must be a string');
  if (path === '') {
    if (allowRoot) return [];
    throw new FilePathError('the path is empty');
  }
  if (path.startsWith('/')) throw new FilePathError(`"${printable(path)}" is absolute: give a path relative to the folder`);
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) throw new FilePathError(`the path is longer than ${MAX_PATH_BYTES} bytes`);
  const segments = path.split('/');
  if (segments.length > MAX_DEPTH) throw new FilePathError(`the path is deeper than ${MAX_DEPTH} folders`);
  for (const name of segments) checkName(name, path);
  return segments;
}

export function checkName(name: string, path = name): void {
  if (name === '') throw new FilePathError(`"${printable(path)}" has an empty name in it`);
  if (name === '.' || name === '..') throw new FilePathError(`"${printable(path)}" uses "${name}": paths may not climb folders`);
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new FilePathError(`"${printable(path)}" has a NUL or control character in it`);
  if (name.includes('\\')) throw new FilePathError(`"${printable(path)}" has a backslash in it`);
  if (name.startsWith('.')) throw new FilePathError(`"${printable(name)}" starts with a dot: hidden files are not shared or uploaded`);
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) throw new FilePathError(`a name in the path is longer than ${MAX_NAME_BYTES} bytes`);
  if (name.normalize('NFC') !== name) throw new FilePathError(`"${printable(name)}" is not in Unicode NFC form (a name that only differs by normalization would look like another)`);
}

/** A path for an error message: control characters shown as escapes, never raw. */
function printable(path: string): string {
  const shown = path.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
}
