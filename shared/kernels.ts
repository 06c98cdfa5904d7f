// What `GET /api/kernels` answers (server/http/routes/kernels.ts), as the server sends it and the
// client's running-kernels panel and kernel-limit dialog read it.

/** One running kernel. */
export interface RunningKernel {
  id: string;
  notebookId: string;
  notebookName: string;
  scope: 'user' | 'shared';
  /** The kernel's user (user scope). */
  userId?: string;
  userName?: string;
  /** A KernelStatus, as a string: a newer server may know states an older page does not. */
  status: string;
  specName: string;
  startedAt: number;
  lastActivity: number;
  /** Resident memory of the kernel's process tree, bytes; absent when it cannot be read (a remote kernel). */
  memoryBytes?: number;
}

/** The whole answer: the kernels the caller may see, and the limits a user meets ("4 of 4"). */
export interface KernelListing {
  kernels: RunningKernel[];
  limits: { perUser: number; total: number };
}
