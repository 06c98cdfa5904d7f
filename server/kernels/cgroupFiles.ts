// Reading and writing cgroup control files, where a missing file is an answer rather than an
// error: a group already removed, a controller this kernel does not offer (swap accounting off,
// no cgroup.kill before Linux 5.14).
import { access, readFile, writeFile } from 'node:fs/promises';

import { isObject } from './messageShapes.ts';

/** The file's text, or undefined when it (or its directory) does not exist. */
export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isObject(error) && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return undefined;
    throw error;
  }
}

/** Writes a control file when the kernel offers it; false when it does not exist. */
export async function writeIfPresent(path: string, value: string): Promise<boolean> {
  try {
    await access(path);
  } catch {
    return false;
  }
  await writeFile(path, value);
  return true;
}
