// LevelDB store: opens the database with one update log per document (documentLog.ts) and the
// metadata sublevels (metaStore.ts); raw entries for backup and restore.
//
// Hand-written rather than y-leveldb: y-leveldb pins an old `level`, serializes every document
// through one global queue, and swallows write errors. Here each document has its own ordered log,
// writes fail loudly to the room that asked, and compaction is a single atomic batch.
import { Level } from 'level';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { LevelDocumentLog } from './documentLog.ts';
import type { Sub } from './keys.ts';
import { LevelMetaStore } from './metaStore.ts';
import type { LiveSessionRecord, NotebookRecord, RawEntry, SessionRecord, Store, UserRecord } from './types.ts';


/** classic-level (LevelDB, what `level` is in Node) can compact a range on request; browser-level cannot. */
interface Compactable {
  compactRange(start: string, end: string): Promise<void>;
}
function canCompact(db: object): db is Compactable {
  return typeof (db as Partial<Compactable>).compactRange === 'function';
}

export async function openLevelStore(path: string, options: { compactAfter: number; log: Logger; metrics?: Metrics }): Promise<Store> {
  const db = new Level<string, string>(path, { valueEncoding: 'utf8' });
  await db.open();
  const json = <V>(name: string): Sub<V> => db.sublevel<string, V>(name, { valueEncoding: 'json' });
  const text = (name: string): Sub<string> => db.sublevel<string, string>(name, { valueEncoding: 'utf8' });
  const updates: Sub<Uint8Array> = db.sublevel<string, Uint8Array>('updates', { valueEncoding: 'view' });
  const docs = new LevelDocumentLog(updates, json<number>('schema-checks'), options.compactAfter, options.log, (from, to) =>
    canCompact(db) ? db.compactRange(updates.prefix + from, updates.prefix + to) : Promise.resolve(),
    options.metrics,
  );
  return {
    docs,
    meta: new LevelMetaStore(
      db,
      json<UserRecord>('users'),
      text('usernames'),
      text('tokens'),
      json<SessionRecord>('sessions'),
      json<NotebookRecord>('notebooks'),
      text('members'),
      text('memberships'),
      json<LiveSessionRecord>('live-sessions'),
      text('join-codes'),
    ),
    snapshot: () => rawEntries(db),
    close: async () => {
      await docs.settle();
      await db.close();
    },
  };
}

/**
 * Every entry of the database as raw bytes (sublevel prefixes included), read from one LevelDB
 * snapshot: the iterator is created (and its snapshot taken) synchronously by this call, so the
 * entries are the database as it was at this instant, whatever is written while they are read.
 */
export function rawEntries(db: Level<string, string>): AsyncGenerator<RawEntry> {
  const iterator = db.iterator<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
  return (async function* () {
    try {
      for await (const [key, value] of iterator) yield [key, value] as RawEntry;
    } finally {
      await iterator.close();
    }
  })();
}

/** Opens a data directory's database (`<data-dir>/db`) that no server holds, for an offline backup. */
export async function openRawDatabase(path: string): Promise<Level<string, string>> {
  const db = new Level<string, string>(path, { createIfMissing: false });
  await db.open();
  return db;
}

/** Writes raw entries into a new database at `path` (which must not exist), in batches. */
export async function writeRawDatabase(path: string, entries: (put: (entry: RawEntry) => Promise<void>) => Promise<void>): Promise<void> {
  const db = new Level<string, string>(path, { createIfMissing: true, errorIfExists: true });
  await db.open();
  const raw = { keyEncoding: 'view', valueEncoding: 'view' } as const;
  let batch = db.batch();
  let bytes = 0;
  try {
    await entries(async ([key, value]) => {
      batch.put<Uint8Array, Uint8Array>(key, value, raw);
      bytes += key.byteLength + value.byteLength;
      if (bytes >= 4 * 1024 * 1024) {
        await batch.write();
        batch = db.batch();
        bytes = 0;
      }
    });
    await batch.write();
  } finally {
    await db.close();
  }
}
