// A notebook with its files as one `.zip`: read (import) with yauzl, written (export) with yazl.
// Reading trusts nothing in the archive: the entry count and the declared sizes are bounded before
// anything is stored (a zip bomb is refused unread), yauzl checks each entry's real size against
// its header while it streams, and every entry's name goes through the same path rules as an
// upload (`..`, absolute paths and the like refuse the whole import: zip-slip).
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import yazl from 'yazl';

import { FilePathError, parseFilePath } from './paths.ts';
import { HttpError } from '../errors.ts';
import type { FileTree } from './tree.ts';

export interface ZipLimits {
  /** Entries in the archive (folders included). */
  maxEntries: number;
  /** Declared uncompressed bytes of the data files in all. */
  maxBytes: number;
  /** Bytes of the notebook itself. */
  maxNotebookBytes: number;
}

export interface NotebookZip {
  /** The notebook file's name without `.ipynb` (a default name for the imported notebook). */
  name: string;
  /** The notebook, parsed as JSON (not yet checked against nbformat). */
  notebook: unknown;
  /** The data files, relative to the notebook's folder in the archive. */
  files: Array<{ segments: string[]; bytes: number; open(): Promise<Readable> }>;
  close(): void;
}

/** Opens an archive on disk and reads its table of contents and its notebook; the data files stream on demand. */
export async function readNotebookZip(path: string, limits: ZipLimits): Promise<NotebookZip> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false }, (error, file) =>
      error ? reject(new HttpError(400, 'invalid_zip', `not a zip archive: ${error.message}`)) : resolve(file),
    ),
  );
  try {
    if (zip.entryCount > limits.maxEntries) throw new HttpError(413, 'too_many_files', `the archive has ${zip.entryCount} entries; at most ${limits.maxEntries} are accepted`);
    const entries = await readEntries(zip);
    const notebooks = entries.filter((e) => !skipped(e.fileName) && /\.ipynb$/i.test(e.fileName));
    if (notebooks.length === 0) throw new HttpError(400, 'no_notebook', 'the archive holds no .ipynb notebook');
    const depth = (name: string) => name.split('/').length;
    const shallowest = Math.min(...notebooks.map((e) => depth(e.fileName)));
    const top = notebooks.filter((e) => depth(e.fileName) === shallowest);
    if (top.length > 1) throw new HttpError(400, 'several_notebooks', `the archive holds several notebooks (${top.map((e) => e.fileName).join(', ')}); put one in a zip`);
    const notebookEntry = top[0]!;
    const folder = notebookEntry.fileName.split('/').slice(0, -1);

    const files: NotebookZip['files'] = [];
    let total = 0;
    for (const entry of entries) {
      if (entry === notebookEntry || entry.fileName.endsWith('/') || skipped(entry.fileName)) continue;
      const parts = checkedName(entry.fileName);
      if (!folder.every((part, i) => parts[i] === part)) throw new HttpError(400, 'invalid_zip', `"${entry.fileName}" lies outside the notebook's folder in the archive`);
      const segments = parseFilePath(parts.slice(folder.length).join('/'));
      total += entry.uncompressedSize;
      if (total > limits.maxBytes) throw new HttpError(413, 'quota_exceeded', `the archive's files take more than the ${limits.maxBytes} bytes the notebook's files may hold`);
      files.push({ segments, bytes: entry.uncompressedSize, open: () => openEntry(zip, entry) });
    }
    if (notebookEntry.uncompressedSize > limits.maxNotebookBytes) throw new HttpError(413, 'body_too_large', 'the notebook in the archive is larger than the server accepts');
    const chunks: Buffer[] = [];
    for await (const chunk of await openEntry(zip, notebookEntry)) chunks.push(chunk as Buffer);
    let notebook: unknown;
    try {
      notebook = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (error) {
      throw new HttpError(400, 'invalid_json', `${notebookEntry.fileName} is not valid JSON: ${(error as Error).message}`);
    }
    const name = notebookEntry.fileName.split('/').pop()!.replace(/\.ipynb$/i, '');
    return { name, notebook, files, close: () => zip.close() };
  } catch (error) {
    zip.close();
    throw error;
  }
}

/** Archive clutter that is not the lesson's: macOS resource forks, hidden files. */
function skipped(name: string): boolean {
  return name.split('/').some((part) => part === '__MACOSX' || (part.startsWith('.') && part !== '.' && part !== '..'));
}

/** An entry's name split into parts; a name that would climb out or is absolute refuses the archive. */
function checkedName(name: string): string[] {
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.includes('\\')) throw new FilePathError(`the archive's entry "${name}" has an absolute or Windows path`);
  const parts = name.split('/');
  if (parts.includes('..')) throw new FilePathError(`the archive's entry "${name}" climbs out of its folder ("..")`);
  return parts;
}

async function readEntries(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  const entries: yauzl.Entry[] = [];
  const done = new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.once('end', () => resolve());
    zip.once('error', (error: Error) => reject(new HttpError(400, 'invalid_zip', `the archive is broken: ${error.message}`)));
  });
  zip.readEntry();
  await done;
  return entries;
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) =>
    zip.openReadStream(entry, (error, stream) => (error ? reject(new HttpError(400, 'invalid_zip', `cannot read "${entry.fileName}": ${error.message}`)) : resolve(stream))),
  );
}

/**
 * The notebook and the files of `trees` as a zip stream, the notebook first. A later tree's file
 * replaces an earlier one's of the same path (my files over the notebook's, as in a kernel's
 * working directory). Symlinks and dotfiles are left out; files are read as the zip is written.
 */
export async function writeNotebookZip(notebookName: string, ipynb: string, trees: FileTree[]): Promise<Readable> {
  const chosen = new Map<string, { tree: FileTree; segments: string[] }>();
  for (const tree of trees) {
    for (const segments of await allFiles(tree, [])) chosen.set(segments.join('/'), { tree, segments });
  }
  chosen.delete(notebookName);
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(ipynb, 'utf8'), notebookName);
  for (const [path, { tree, segments }] of chosen) {
    zip.addReadStreamLazy(path, (callback) => {
      tree.openFile(segments).then(
        ({ handle }) => callback(null, handle.createReadStream()),
        (error: unknown) => callback(error, undefined as never),
      );
    });
  }
  zip.end();
  return zip.outputStream as Readable;
}

async function allFiles(tree: FileTree, folder: string[], depth = 0): Promise<string[][]> {
  const found: string[][] = [];
  for (const entry of await tree.list(folder).catch(() => [])) {
    const segments = [...folder, entry.name];
    if (entry.type === 'file') found.push(segments);
    else if (entry.type === 'directory' && depth < 16) found.push(...(await allFiles(tree, segments, depth + 1)));
  }
  return found;
}
