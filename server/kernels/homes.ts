// Kernel homes: one private, persistent directory per user (all that user's kernels share it) and
// one per notebook for its shared kernel, under `<data-dir>/homes/`. A home is the kernel's working
// directory and HOME; it outlives kernel restarts and server restarts.
import { createHash } from 'node:crypto';
import { chmod, chown, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface Owner {
  uid: number;
  gid: number;
}

export function homesDir(dataDir: string): string {
  return join(dataDir, 'homes');
}

export function userHome(dataDir: string, userId: string): string {
  return join(homesDir(dataDir), 'users', safeName(userId));
}

export function notebookHome(dataDir: string, notebookId: string): string {
  return join(homesDir(dataDir), 'notebooks', safeName(notebookId));
}

/**
 * A directory name for an id. Ids are server-made (url-safe random strings), but a home path must
 * never climb out of its folder whatever an id holds: anything else is replaced by its hash.
 */
function safeName(id: string): string {
  if (/^[A-Za-z0-9_-]{1,100}$/.test(id)) return id;
  return `h-${createHash('sha256').update(id).digest('hex').slice(0, 32)}`;
}

/**
 * Creates a home (and its parents, readable by the server alone) when missing. With an `owner` the
 * home belongs to the kernels' uid, which must be able to write it; `chown` is repeated on an
 * existing home in case the kernel uid was changed since. (Files inside keep their owner: after a
 * change of --kernel-uid, `chown -R` the homes.)
 */
export async function ensureHome(dataDir: string, home: string, owner?: Owner): Promise<void> {
  await mkdir(homesDir(dataDir), { recursive: true, mode: 0o700 });
  await mkdir(join(home, '..'), { recursive: true, mode: 0o700 });
  await mkdir(home, { recursive: true, mode: HOME_MODE });
  if (owner) await chown(home, owner.uid, owner.gid);
  await chmod(home, HOME_MODE);
}

/**
 * Searchable by others: the sandbox changes into the home before it drops to the kernel's uid,
 * with no capability left to pass a 0700 directory of another uid. Nobody else reaches it: its
 * parents are the server's alone, and a sandbox shows no other home.
 */
export const HOME_MODE = 0o711;
