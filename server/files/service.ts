// Files in two scopes, as cells have (see README "Files"):
//   my files        a user's home (`<data-dir>/homes/users/<id>`), /home/cohort in their kernels;
//                   what their code writes lands there, nobody else sees it.
//   notebook files  the notebook's shared kernel's home (`<data-dir>/homes/notebooks/<id>`): uploaded by
//                   editors, written by the shared kernel, and shown read-only at /notebook in every
//                   member's kernel. Each top-level notebook file also appears in the member's home as
//                   a link to /notebook/<name>, so `read_csv('scores.csv')` works from the working
//                   directory (a file of the user's own with that name wins).
// Uploads into one folder tree go one at a time, so two cannot both slip under a quota.
import { readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

import { SANDBOX_HOME, SANDBOX_NOTEBOOK_FILES } from '../kernels/bwrap.ts';
import { ensureHome, notebookHome, userHome } from '../kernels/homes.ts';
import type { Owner } from '../kernels/homes.ts';
import { formatBytes } from '../kernels/limits.ts';
import type { FileListing, Quota } from '../../shared/files.ts';
import type { Logger } from '../log.ts';
import { FileTree } from './tree.ts';
import { HttpError } from '../errors.ts';

export interface FilesOptions {
  dataDir: string;
  log: Logger;
  /** Owner of what the server writes into homes (the kernels' uid under a root server). */
  owner: Owner | undefined;
  userQuota: Quota;
  notebookQuota: Quota;
  /** False without a sandbox: there is no /notebook to link to. */
  sandboxed: boolean;
  /** Homes of the users whose kernels for the notebook run now (they get new notebook files' links at once). */
  runningHomes?: (notebookId: string) => string[];
}

export type FileScope = { kind: 'mine'; userId: string } | { kind: 'notebook'; notebookId: string };

export class Files {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly options: FilesOptions) {}

  tree(scope: FileScope): FileTree {
    const { dataDir, owner } = this.options;
    if (scope.kind === 'notebook') return new FileTree(notebookHome(dataDir, scope.notebookId), owner);
    // The links to the notebook's files are not the user's own files.
    return new FileTree(userHome(dataDir, scope.userId), owner, (target) => target.startsWith(`${SANDBOX_NOTEBOOK_FILES}/`));
  }

  quotaOf(scope: FileScope): Quota {
    return scope.kind === 'notebook' ? this.options.notebookQuota : this.options.userQuota;
  }

  kernelPathOf(scope: FileScope): string {
    return scope.kind === 'notebook' ? SANDBOX_NOTEBOOK_FILES : SANDBOX_HOME;
  }

  /** Makes the scope's folder when missing (a user who never ran code has no home yet). */
  async ensure(scope: FileScope): Promise<FileTree> {
    const tree = this.tree(scope);
    await ensureHome(this.options.dataDir, tree.root, this.options.owner);
    return tree;
  }

  async list(scope: FileScope, segments: string[]): Promise<FileListing> {
    const tree = await this.ensure(scope);
    const [entries, usage] = await Promise.all([tree.list(segments), tree.usage()]);
    return { path: segments.join('/'), entries, usage, quota: this.quotaOf(scope), kernelPath: this.kernelPathOf(scope) };
  }

  /**
   * Stores an upload, refused with 413 when it would pass the scope's quota: at once when its
   * declared length says so (nothing is read), else when the stream passes what is left (the
   * partial file is removed). Answers the bytes stored.
   */
  upload(scope: FileScope, segments: string[], source: Readable, declaredBytes?: number): Promise<number> {
    return this.oneAtATime(scope, async () => {
      const tree = await this.ensure(scope);
      const quota = this.quotaOf(scope);
      const usage = await tree.usage();
      const replaced = await tree.stat(segments).catch(() => undefined);
      const replacedBytes = replaced?.isFile() ? replaced.size : 0;
      const what = scope.kind === 'notebook' ? "the notebook's files" : 'your files';
      if (quota.files > 0 && !replaced && usage.files + 1 > quota.files) {
        throw new HttpError(413, 'quota_exceeded', `${what} may hold at most ${quota.files} files`);
      }
      const left = quota.bytes > 0 ? Math.max(0, quota.bytes - usage.bytes + replacedBytes) : Number.MAX_SAFE_INTEGER;
      const tooLarge = () => new HttpError(413, 'quota_exceeded', `${what} may hold at most ${formatBytes(quota.bytes)} (${formatBytes(left)} left)`);
      if (declaredBytes !== undefined && declaredBytes > left) throw tooLarge();
      const written = await tree.write(segments, source, left, tooLarge);
      if (scope.kind === 'notebook' && segments.length === 1) await this.linkForRunningKernels(scope.notebookId, segments[0]!);
      return written;
    });
  }

  async rename(scope: FileScope, from: string[], to: string[]): Promise<void> {
    await this.oneAtATime(scope, async () => {
      await (await this.ensure(scope)).rename(from, to);
      if (scope.kind === 'notebook' && to.length === 1) await this.linkForRunningKernels(scope.notebookId, to[0]!);
    });
  }

  async remove(scope: FileScope, segments: string[]): Promise<void> {
    await this.oneAtATime(scope, async () => (await this.ensure(scope)).remove(segments));
  }

  /** Removes a whole scope's folder (a guest's home when their live session ends with their work deleted). */
  async removeAll(scope: FileScope): Promise<void> {
    const tree = this.tree(scope);
    await this.oneAtATime(scope, async () => {
      // Dotfiles too (the listing leaves them out): everything the user's kernels wrote.
      for (const name of await readdir(tree.root).catch(() => [])) await tree.remove([name]);
    });
  }

  /**
   * Links each top-level notebook file into `home` (a kernel of the notebook is about to run
   * there). A name the user has already is left alone: their own file wins. Dangling links of
   * other notebooks' files are harmless (each kernel sees its own notebook at /notebook).
   */
  async linkNotebookFiles(notebookId: string, home: string): Promise<void> {
    if (!this.options.sandboxed) return;
    const notebook = this.tree({ kind: 'notebook', notebookId });
    const entries = await notebook.list([]).catch(() => []);
    if (entries.length === 0) return;
    await ensureHome(this.options.dataDir, home, this.options.owner);
    for (const entry of entries) await this.link(home, entry.name);
  }

  private async linkForRunningKernels(notebookId: string, name: string): Promise<void> {
    if (!this.options.sandboxed) return;
    for (const home of this.options.runningHomes?.(notebookId) ?? []) await this.link(home, name);
  }

  private async link(home: string, name: string): Promise<void> {
    if (name.startsWith('.') || name.includes('/')) return;
    // symlink(2) never follows what is at the link's path: a name taken (by a file, or a link the
    // kernel made) fails with EEXIST and is left as it is.
    await symlink(`${SANDBOX_NOTEBOOK_FILES}/${name}`, join(home, name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') this.options.log.warn({ err: error, name }, "linking a notebook file into a home failed");
    });
  }

  private oneAtATime<T>(scope: FileScope, job: () => Promise<T>): Promise<T> {
    const key = scope.kind === 'notebook' ? `n:${scope.notebookId}` : `u:${scope.userId}`;
    const before = this.queues.get(key) ?? Promise.resolve();
    const result = before.then(job, job);
    const settled = result.catch(() => undefined);
    this.queues.set(key, settled);
    // `settled` never rejects; the second handler is only there so no rejection can go unhandled.
    settled.then(
      () => {
        if (this.queues.get(key) === settled) this.queues.delete(key);
      },
      () => undefined,
    );
    return result;
  }
}
