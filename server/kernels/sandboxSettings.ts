// The kernel sandbox's settings and the names its parts share: the sandbox mode and network, the
// defaults, what a kernel record keeps of a sandbox, and the error for a machine it cannot run on.
import type { Owner } from './homes.ts';
import { DEFAULT_LIMITS } from './limits.ts';
import type { KernelLimits } from './limits.ts';

export type SandboxMode = 'bwrap' | 'none';
export type KernelNetwork = 'none' | 'host';

export interface SandboxSettings {
  mode: SandboxMode;
  /** `none`: a network namespace with only loopback; `host`: the host's network (pip install). */
  network: KernelNetwork;
  /** The uid and gid kernels run as when the server runs as root (never root itself). */
  kernelUser: Owner;
  limits: KernelLimits;
  /** Host directories every kernel sees read-only (the project's Python folder, …). */
  readOnlyPaths: string[];
  bwrapPath: string;
}

export const DEFAULT_SANDBOX_SETTINGS: SandboxSettings = {
  mode: 'bwrap',
  network: 'none',
  kernelUser: { uid: 65534, gid: 65534 },
  limits: DEFAULT_LIMITS,
  readOnlyPaths: [],
  bwrapPath: '/usr/bin/bwrap',
};

/** A notebook's files as one kernel sees them at /notebook: read-only but for the notebook's shared kernel. */
export interface NotebookFilesMount {
  dir: string;
  writable: boolean;
}

/** The sandbox cannot work on this machine: the server must not start kernels unprotected by surprise. */
export class SandboxUnavailableError extends Error {
  override readonly name = 'SandboxUnavailableError';
}

/** What a kernel record keeps of a kernel's sandbox, to clean up after a crash. */
export interface SandboxRecord {
  kernelDir: string;
  cgroup?: { version: 1 | 2; dirs: string[] } | undefined;
}

/** Names of one kernel process's resources, fixed before any of them exists. */
export interface KernelPlan extends SandboxRecord {
  name: string;
}
