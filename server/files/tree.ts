// One folder of files the server reads and writes for clients, a user's home or a notebook's files:
// listed, read, written (to a temporary file renamed into place), moved, removed and measured.
// Kernels write these folders too, so every step into one goes through noFollow.ts: the server
// never follows a symlink.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, open, readdir, readlink, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { FileEntry, Usage } from '../../shared/files.ts';
import { HttpError } from '../errors.ts';
import type { Owner } from '../kernels/homes.ts';
import { fileError, inDir, lstatIn, openFolder, removeIn } from './noFollow.ts';

const { O_RDONLY, O_NOFOLLOW, O_WRONLY, O_CREAT, O_EXCL } = constants;
const TEMP_PREFIX = '.upload-';

export class FileTree {
  constructor(
    /** The folder itself; its own path is the server's (no client or kernel names a part of it). */
    readonly root: string,
    /** Who made files belong to (the kernels' uid); unset: the server's user. */
    private readonly owner: Owner | undefined,
    /** Symlinks the listing leaves out (a home's links to the notebook's files). */
    private readonly hideLink: (target: string) => boolean = () => false,
  ) {}

  /** The entries of a folder (no dotfiles), folders first. */
  async list(segments: string[]): Promise<FileEntry[]> {
    const dir = await this.openDir(segments, false);
    try {
      const entries: FileEntry[] = [];
      for (const name of await readdir(inDir(dir, ''))) {
        if (name.startsWith('.')) continue;
        let stat: Stats;
        try {
          stat = await lstat(inDir(dir, name));
        } catch {
          continue; // removed meanwhile
        }
        const type = stat.isDirectory() ? 'directory' : stat.isFile() ? 'file' : stat.isSymbolicLink() ? 'symlink' : undefined;
        if (!type) continue;
        if (type === 'symlink') {
          if (this.hideLink(await readlink(inDir(dir, name)).catch(() => ''))) continue;
        }
        entries.push({ name, path: [...segments, name].join('/'), type, size: type === 'file' ? stat.size : 0, modified: stat.mtime.toISOString() });
      }
      return entries.sort((a, b) => Number(b.type === 'directory') - Number(a.type === 'directory') || a.name.localeCompare(b.name));
    } finally {
      await dir.close();
    }
  }

  /** What `segments` names: a file or a folder (never through a symlink). */
  async stat(segments: string[]): Promise<Stats> {
    if (segments.length === 0) return lstat(this.root);
    const dir = await this.openDir(segments.slice(0, -1), false);
    try {
      return await lstatIn(dir, segments.at(-1)!, segments);
    } finally {
      await dir.close();
    }
  }

  /** An open file for reading, with its size. The caller closes it. */
  async openFile(segments: string[]): Promise<{ handle: FileHandle; size: number }> {
    if (segments.length === 0) throw new HttpError(400, 'is_directory', 'that is a folder, not a file');
    const dir = await this.openDir(segments.slice(0, -1), false);
    let handle: FileHandle;
    try {
      handle = await open(inDir(dir, segments.at(-1)!), O_RDONLY | O_NOFOLLOW);
    } catch (error) {
      throw fileError(error, segments);
    } finally {
      await dir.close();
    }
    const stat = await handle.stat();
    if (!stat.isFile()) {
      await handle.close();
      throw new HttpError(400, 'is_directory', `"${segments.join('/')}" is a folder, not a file`);
    }
    return { handle, size: stat.size };
  }

  /**
   * Stores what `source` streams as `segments` (folders made as needed), replacing a file of that
   * name. Written to a hidden temporary file first and renamed into place, so a refused or broken
   * upload leaves nothing; more than `maxBytes` aborts it with 413.
   */
  async write(segments: string[], source: Readable, maxBytes: number, tooLarge: () => HttpError): Promise<number> {
    if (segments.length === 0) throw new HttpError(400, 'invalid_path', 'name the file to write');
    const name = segments.at(-1)!;
    const dir = await this.openDir(segments.slice(0, -1), true);
    try {
      const existing = await lstat(inDir(dir, name)).catch(() => undefined);
      if (existing && !existing.isFile()) throw new HttpError(409, 'exists', `"${segments.join('/')}" exists and is not a file`);
      const temp = `${TEMP_PREFIX}${randomBytes(6).toString('hex')}`;
      const out = await open(inDir(dir, temp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
      let written = 0;
      try {
        if (this.owner) await out.chown(this.owner.uid, this.owner.gid);
        const counter = byteLimit(maxBytes, tooLarge, (bytes) => (written = bytes));
        // The stream closes the file when it is done, or failed.
        await pipeline(source, counter, out.createWriteStream());
      } catch (error) {
        await out.close().catch(() => undefined);
        await unlink(inDir(dir, temp)).catch(() => undefined);
        throw error;
      }
      await rename(inDir(dir, temp), inDir(dir, name));
      return written;
    } finally {
      await dir.close();
    }
  }

  /** Moves a file or folder within the tree; the target must not exist. */
  async rename(from: string[], to: string[]): Promise<void> {
    if (from.length === 0 || to.length === 0) throw new HttpError(400, 'invalid_path', 'the top folder cannot be renamed');
    if (to.length > from.length && from.every((part, i) => to[i] === part)) throw new HttpError(400, 'invalid_path', 'a folder cannot move into itself');
    const source = await this.openDir(from.slice(0, -1), false);
    try {
      await lstatIn(source, from.at(-1)!, from);
      const target = await this.openDir(to.slice(0, -1), true);
      try {
        if (await lstat(inDir(target, to.at(-1)!)).catch(() => undefined)) throw new HttpError(409, 'exists', `"${to.join('/')}" exists already`);
        await rename(inDir(source, from.at(-1)!), inDir(target, to.at(-1)!));
      } finally {
        await target.close();
      }
    } finally {
      await source.close();
    }
  }

  /** Removes a file, a symlink (not what it points to) or a folder with everything in it. */
  async remove(segments: string[]): Promise<void> {
    if (segments.length === 0) throw new HttpError(400, 'invalid_path', 'the top folder cannot be deleted');
    const dir = await this.openDir(segments.slice(0, -1), false);
    try {
      const stat = await lstatIn(dir, segments.at(-1)!, segments);
      await removeIn(dir, segments.at(-1)!, stat);
    } finally {
      await dir.close();
    }
  }

  /** Bytes and files in the whole tree (dotfiles included: they take space too; symlinks not followed). */
  async usage(): Promise<Usage> {
    const usage: Usage = { bytes: 0, files: 0 };
    const walk = async (path: string, depth: number): Promise<void> => {
      const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        if (entry.isDirectory() && depth < 64) await walk(`${path}/${entry.name}`, depth + 1);
        else if (entry.isFile()) {
          usage.files += 1;
          usage.bytes += (await lstat(`${path}/${entry.name}`).catch(() => undefined))?.size ?? 0;
        }
      }
    };
    await walk(this.root, 0);
    return usage;
  }

  /** The folder `segments` names, opened step by step (noFollow.ts); `create` makes missing ones. */
  private openDir(segments: string[], create: boolean): Promise<FileHandle> {
    return openFolder(this.root, segments, create, this.owner);
  }
}

/** Passes bytes through until more than `maxBytes` went by, then fails with `tooLarge()`. */
export function byteLimit(maxBytes: number, tooLarge: () => Error, counted: (bytes: number) => void = () => undefined): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      counted(bytes);
      if (bytes > maxBytes) done(tooLarge());
      else done(null, chunk);
    },
  });
}
