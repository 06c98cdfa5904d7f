// The backup endpoint of a running server: a Unix socket at `<data-dir>/control/backup.sock`.
//
// LevelDB lets one process hold a database, so `npm run backup` cannot open a running server's
// store; it asks the server instead. A connection that sends `BACKUP 1\n` receives a backup file
// (format.ts) streamed from one LevelDB snapshot, taken when the request arrives: consistent, and
// the server keeps serving while it is read. Why a socket in the data directory rather than an
// HTTP route: whoever may read the data directory may have its contents anyway, and no one else
// may, which is exactly what the `control/` folder's mode 0700 says; no token to hand out, nothing
// reachable from the network. Sandboxed kernels do not see the data directory at all.
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../log.ts';
import type { Store } from '../store/types.ts';
import { encodeBackup } from './format.ts';

export const BACKUP_REQUEST = 'BACKUP 1\n';
/** Longest path a Unix socket can bind on Linux (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107;
const REQUEST_TIMEOUT_MS = 10_000;

export function backupSocketPath(dataDir: string): string {
  return join(dataDir, 'control', 'backup.sock');
}

export interface BackupEndpoint {
  /** Where it listens, or undefined when it could not (the reason is logged). */
  readonly path: string | undefined;
  close(): Promise<void>;
}

/**
 * Listens for backup requests. Call after the store is open: holding its lock, no other server
 * uses this data dir. A server that cannot listen still serves; the error says backups need it.
 */
export async function listenForBackups(dataDir: string, store: Store, log: Logger): Promise<BackupEndpoint> {
  try {
    return await listen(dataDir, store, log);
  } catch (err) {
    log.error({ err, path: backupSocketPath(dataDir) }, 'cannot listen on the backup socket: `npm run backup` cannot reach this server');
    return { path: undefined, close: () => Promise.resolve() };
  }
}

async function listen(dataDir: string, store: Store, log: Logger): Promise<BackupEndpoint> {
  const path = backupSocketPath(dataDir);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    log.warn({ path }, 'data directory path too long for the backup socket: `npm run backup` cannot reach this server');
    return { path: undefined, close: () => Promise.resolve() };
  }
  mkdirSync(join(dataDir, 'control'), { recursive: true, mode: 0o700 });
  chmodSync(join(dataDir, 'control'), 0o700);
  rmSync(path, { force: true }); // left by a server that was killed

  const open = new Set<Socket>();
  const server = createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', (err) => log.warn({ err: err.message }, 'backup connection failed'));
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy());
    let request = '';
    const onData = (chunk: Buffer) => {
      request += chunk.toString('latin1');
      if (request.length < BACKUP_REQUEST.length) return;
      socket.off('data', onData);
      socket.setTimeout(0);
      if (request !== BACKUP_REQUEST) {
        socket.destroy();
        return;
      }
      serve(socket).catch((err: unknown) => log.error({ err }, 'serving a backup failed'));
    };
    socket.on('data', onData);
  });
  const serve = async (socket: Socket) => {
    const started = Date.now();
    log.info('backup requested: streaming a snapshot of the store');
    try {
      await pipeline(encodeBackup(store.snapshot(), 'running server'), socket);
      log.info({ ms: Date.now() - started }, 'backup streamed');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'backup stream aborted');
      socket.destroy();
    }
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o600);
  return {
    path,
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(path, { force: true });
    },
  };
}
