// Connection files (spec, "Connection files") for kernels that speak ZeroMQ over Unix sockets
// (`"transport": "ipc"`): no TCP port to pick, to race for, or to be reached on by anyone else.
// ipykernel binds `ipc://<ip>-<port>` for each channel, so `ip` is a path prefix in the kernel's
// own socket directory and the "ports" are just 1-5. The file holds the HMAC key that lets its
// reader run code in the kernel: it lives only in that directory, readable by the kernel alone.
import { randomBytes } from 'node:crypto';
import { chmod, chown, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { ConnectionInfo } from './connection.ts';
import type { Owner } from './homes.ts';

/** Where kernel pid records live (see orphans.ts). */
export function kernelsDir(dataDir: string): string {
  return join(dataDir, 'kernels');
}

/** Where each kernel process gets a directory of its own (`k/<8 letters>`: socket paths stay short). */
export function kernelDirsRoot(dataDir: string): string {
  return join(dataDir, 'k');
}

export const CONNECTION_FILE_NAME = 'kernel.json';
/** The socket path prefix in a kernel's socket directory: sockets are `k-1` … `k-5`. */
export const SOCKET_PREFIX = 'k';
const CHANNEL_NUMBERS = { shell_port: 1, iopub_port: 2, stdin_port: 3, control_port: 4, hb_port: 5 } as const;

/**
 * Unix socket paths are limited to 107 bytes (`sun_path`). The longest of a kernel's is its socket
 * directory plus `/k-5`.
 */
export const MAX_SOCKET_PATH = 107;
export function longestSocketPath(socketDir: string): string {
  return join(socketDir, `${SOCKET_PREFIX}-5`);
}

/** A connection for sockets under `socketDir` (as whoever reads it sees that directory). */
export function ipcConnectionInfo(socketDir: string, kernelName: string, key = randomBytes(32).toString('hex')): ConnectionInfo {
  return { transport: 'ipc', ip: join(socketDir, SOCKET_PREFIX), ...CHANNEL_NUMBERS, key, signature_scheme: 'hmac-sha256', kernel_name: kernelName };
}

/** Writes a new connection file with mode 0600, owned by the kernel's uid when it has its own. */
export async function writeConnectionFile(path: string, info: ConnectionInfo, owner?: Owner): Promise<void> {
  await writeFile(path, JSON.stringify(info, null, 2), { mode: 0o600, flag: 'wx' });
  // chmod again in case the umask narrowed it oddly; chown before the kernel starts.
  await chmod(path, 0o600);
  if (owner) await chown(path, owner.uid, owner.gid);
}
