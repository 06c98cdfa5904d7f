// Connection files (spec, "Connection files"): five ports, a random HMAC key, readable only by
// the server's user since the key lets anyone who reads it run code in the kernel.
import { randomBytes, randomInt } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';

import type { ConnectionInfo } from './connection.ts';

/** Where kernel connection files and pid records live. */
export function kernelsDir(dataDir: string): string {
  return join(dataDir, 'kernels');
}

/**
 * Ports for a kernel, chosen *below* the OS's ephemeral range. Ports from the ephemeral range
 * (what `bind(0)` hands out) invite TCP self-connection: our sockets connect before the kernel has
 * bound its ports, ZeroMQ retries, and sooner or later the OS picks the destination port as the
 * source port — the socket connects to itself, a DEALER talks to itself, and the kernel never sees
 * a request (seen here: one kernel in a 30-student test never answered kernel_info). Ports outside
 * that range are never used as source ports. Each candidate is checked by binding it; all stay
 * bound until `count` are found, so they differ. Another process may still take one before the
 * kernel binds it; the kernel then exits and the launcher retries on new ports.
 */
export async function pickFreePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const [low, high] = await portRange();
  const held: Array<ReturnType<typeof createServer>> = [];
  const ports: number[] = [];
  try {
    for (let tries = 0; ports.length < count; tries++) {
      if (tries > 1000) throw new Error(`no free ports found between ${low} and ${high}`);
      const port = low + randomInt(high - low + 1);
      if (ports.includes(port)) continue;
      const server = await listenOn(port, host);
      if (!server) continue;
      held.push(server);
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(held.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** Where kernel ports are chosen: from 10000 up to just below the ephemeral range. */
async function portRange(): Promise<[number, number]> {
  let ephemeralLow = 32768; // Linux's default when the range cannot be read
  try {
    const [lowText] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/);
    const parsed = Number(lowText);
    if (Number.isInteger(parsed) && parsed > 0) ephemeralLow = parsed;
  } catch {
    // not Linux: keep the default
  }
  const low = 10_000;
  const high = ephemeralLow - 1;
  // An ephemeral range reaching far down leaves no room below it: then use the range above 10000 anyway.
  return high - low >= 1_000 ? [low, high] : [low, 65_000];
}

function listenOn(port: number, host: string): Promise<ReturnType<typeof createServer> | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, host, () => resolve(server));
  });
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
