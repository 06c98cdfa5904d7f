// `npm run backup -- --data-dir DIR --out FILE`: a consistent backup of a data directory's store
// (documents, users, tokens, members, sessions), whether a server runs on it or not. A running
// server is asked over its backup socket (socket.ts) and keeps serving; a data directory no server
// holds is read directly. Either way the file is written beside FILE, read back and checked, and
// only then renamed to FILE: a failed backup never leaves a FILE that looks like a good one.
import { createReadStream, createWriteStream, fsyncSync, openSync, closeSync, renameSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { openRawDatabase, rawEntries } from '../store/level.ts';
import { encodeBackup, readBackup } from './format.ts';
import { BACKUP_REQUEST, backupSocketPath } from './socket.ts';

const USAGE = 'usage: npm run backup -- --data-dir DIR --out FILE';

function connect(path: string): Promise<Socket | undefined> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    socket.once('connect', () => resolve(socket));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      // No socket, or a socket file left by a server that was killed: nobody is serving.
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') resolve(undefined);
      else reject(err);
    });
  });
}

/** Writes the backup into `file`; says where it came from. */
async function backupInto(dataDir: string, file: string): Promise<string> {
  const socket = await connect(backupSocketPath(dataDir));
  if (socket) {
    socket.write(BACKUP_REQUEST);
    await pipeline(socket, createWriteStream(file, { mode: 0o600 }));
    return 'running server';
  }
  let db;
  try {
    db = await openRawDatabase(join(dataDir, 'db'));
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') {
      throw new Error(`a process holds ${join(dataDir, 'db')} but its backup socket (${backupSocketPath(dataDir)}) does not answer; is it a Cohort server of this version?`);
    }
    throw new Error(`no Cohort database in ${dataDir} (${cause?.message ?? (err as Error).message})`);
  }
  try {
    await pipeline(encodeBackup(rawEntries(db), 'data directory'), createWriteStream(file, { mode: 0o600 }));
  } finally {
    await db.close();
  }
  return 'stopped data directory';
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({ options: { 'data-dir': { type: 'string' }, out: { type: 'string' } }, strict: true }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (!values['data-dir'] || !values.out) {
    console.error(USAGE);
    process.exit(2);
  }
  const dataDir = resolve(values['data-dir']);
  const out = resolve(values.out);
  const partial = `${out}.partial-${process.pid}`;
  try {
    const source = await backupInto(dataDir, partial);
    // Read back what was written: a stream cut short (the server stopped) fails here.
    const summary = await readBackup(createReadStream(partial), () => undefined);
    fsyncPath(partial);
    renameSync(partial, out);
    fsyncPath(dirname(out));
    console.log(`backup: ${summary.entries} entries (${(summary.bytes / 1024).toFixed(1)} KiB) from the ${source} ${dataDir} -> ${out}`);
  } catch (err) {
    rmSync(partial, { force: true });
    console.error(`backup failed: ${(err as Error).message}`);
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  console.error(`backup failed: ${(err as Error).message}`);
  process.exit(1);
});
