// Connection files (spec, "Connection files"): five ports, a random HMAC key, readable only by
// the server's user since the key lets anyone who reads it run code in the kernel.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';

import type { ConnectionInfo } from './connection.ts';

/** Where kernel connection files and pid records live. */
export function kernelsDir(dataDir: string): string {
  return join(dataDir, 'kernels');
}

/**
 * Asks the OS for `count` free TCP ports by binding them all at once (so they differ), then
 * releases them for the kernel. Another process may take one in between; the launcher retries.
 */
export async function pickFreePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(0, host, () => resolve(server));
      }),
    ),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === 'string') throw new Error('listening TCP server has no port');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

export async function createConnectionInfo(kernelName: string, ip = '127.0.0.1'): Promise<ConnectionInfo> {
  const [shell, iopub, stdin, control, hb] = (await pickFreePorts(5, ip)) as [number, number, number, number, number];
  return {
    transport: 'tcp',
    ip,
    shell_port: shell,
    iopub_port: iopub,
    stdin_port: stdin,
    control_port: control,
    hb_port: hb,
    key: randomBytes(32).toString('hex'),
    signature_scheme: 'hmac-sha256',
    kernel_name: kernelName,
  };
}

/** Writes a new connection file with mode 0600 (chmod again in case the umask narrowed it oddly). */
export async function writeConnectionFile(path: string, info: ConnectionInfo): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  await writeFile(path, JSON.stringify(info, null, 2), { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
}
