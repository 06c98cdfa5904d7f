// Whose kernel a kernel is (a user's private kernel for a notebook, or the notebook's shared
// kernel), the stable id of that key, and what the key decides: the kernel's home and its view of
// the notebook's files.
import { notebookHome, userHome } from './homes.ts';
import type { NotebookFilesMount } from './sandboxSettings.ts';

/** Whose kernel: a user's private kernel for a notebook, or the notebook's shared kernel. */
export type KernelKey = UserKernelKey | SharedKernelKey;
export interface UserKernelKey {
  notebookId: string;
  userId: string;
  shared?: false;
}
export interface SharedKernelKey {
  notebookId: string;
  shared: true;
}

/** A stable string for a key (map key, log field). */
export function kernelKeyId(key: KernelKey): string {
  const nb = encodeURIComponent(key.notebookId);
  return key.shared ? `${nb}/shared` : `${nb}/user/${encodeURIComponent(key.userId)}`;
}

/** Every kernel of a notebook sees its files (the shared kernel's home) at /notebook; only the shared kernel may write them. */
export function notebookFilesOf(dataDir: string, key: KernelKey): NotebookFilesMount {
  return { dir: notebookHome(dataDir, key.notebookId), writable: key.shared === true };
}

/** A user's kernels share the user's home; a shared kernel has the notebook's. */
export function homeOf(dataDir: string, key: KernelKey): string {
  return key.shared ? notebookHome(dataDir, key.notebookId) : userHome(dataDir, key.userId);
}
