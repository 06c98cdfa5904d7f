// Reaching a name inside a folder tree without following a symlink. Kernels write these folders
// too, and a kernel may plant a symlink anywhere in them, or swap a folder for one between two
// calls. So nothing here follows a path from the top: every step opens the next folder from the
// one before through `/proc/self/fd/<fd>/<name>` with O_NOFOLLOW (openat(2), which Node lacks, by
// way of the kernel's magic links), and every operation names its file from the folder it opened.
// A symlink met on the way is refused; the server never follows one.
import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { lchown, lstat, mkdir, open, readdir, rmdir, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

import { HttpError } from '../errors.ts';
import type { Owner } from '../kernels/homes.ts';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;

/** `name` in the folder `dir` is open as: the path every operation uses instead of one from the top. */
export const inDir = (dir: FileHandle, name: string) => `/proc/self/fd/${dir.fd}/${name}`;

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Opens the folder `segments` names under `root`, step by step, refusing symlinks; with `create`,
 * missing folders are made (belonging to `owner`, if given). The caller closes it.
 */
export async function openFolder(root: string, segments: string[], create: boolean, owner: Owner | undefined): Promise<FileHandle> {
  let dir: FileHandle;
  try {
    dir = await open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (error) {
    if (errno(error) === 'ENOENT') throw new HttpError(404, 'not_found', 'no such file or folder');
    throw error;
  }
  for (let i = 0; i < segments.length; i++) {
    const name = segments[i]!;
    let next: FileHandle;
    try {
      next = await open(inDir(dir, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch (error) {
      if (create && errno(error) === 'ENOENT') {
        try {
          await mkdir(inDir(dir, name), { mode: 0o755 });
          if (owner) await lchown(inDir(dir, name), owner.uid, owner.gid);
          next = await open(inDir(dir, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        } catch (inner) {
          await dir.close();
          throw fileError(inner, segments.slice(0, i + 1));
        }
      } else {
        // O_DIRECTORY on a symlink fails as "not a directory": say what it is.
        const isLink = (await lstat(inDir(dir, name)).catch(() => undefined))?.isSymbolicLink();
        await dir.close();
        throw isLink ? fileError({ code: 'ELOOP' }, segments.slice(0, i + 1)) : fileError(error, segments.slice(0, i + 1));
      }
    }
    await dir.close();
    dir = next;
  }
  return dir;
}

/** What `name` in `dir` is, without following it; `segments` names it in errors. */
export async function lstatIn(dir: FileHandle, name: string, segments: string[]): Promise<Stats> {
  try {
    return await lstat(inDir(dir, name));
  } catch (error) {
    throw fileError(error, segments);
  }
}

/** A file system error as the client's error about the path `segments`; other errors as they are. */
export function fileError(error: unknown, segments: string[]): Error {
  const path = segments.join('/');
  switch (errno(error)) {
    case 'ENOENT':
      return new HttpError(404, 'not_found', `no file or folder "${path}"`);
    case 'ELOOP':
      return new HttpError(400, 'symlink', `"${path}" is a symbolic link: the server does not follow links`);
    case 'ENOTDIR':
      return new HttpError(400, 'not_a_directory', `"${path}" is not a folder`);
    case 'EEXIST':
      return new HttpError(409, 'exists', `"${path}" exists already`);
    default:
      return error as Error;
  }
}

/** Removes `name` in `dir`, descending into folders through their own handles (never by path from the top). */
export async function removeIn(dir: FileHandle, name: string, stat: Stats): Promise<void> {
  if (!stat.isDirectory()) {
    await unlink(inDir(dir, name));
    return;
  }
  const sub = await open(inDir(dir, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    for (const child of await readdir(inDir(sub, ''))) {
      const childStat = await lstat(inDir(sub, child)).catch(() => undefined);
      if (childStat) await removeIn(sub, child, childStat);
    }
  } finally {
    await sub.close();
  }
  await rmdir(inDir(dir, name));
}
