// LevelDB store: one update log per document plus metadata sublevels.
//
// Hand-written rather than y-leveldb: y-leveldb pins an old `level`, serializes every document
// through one global queue, and swallows write errors. Here each document has its own ordered log,
// writes fail loudly to the room that asked, and compaction is a single atomic batch.
import type { AbstractSublevel } from 'abstract-level';
import { Level } from 'level';
import * as Y from 'yjs';
import type { Role } from '../../shared/roles.ts';
import { isRole } from '../../shared/roles.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { DocumentLog, LiveSessionRecord, MetaStore, NotebookRecord, RawEntry, SessionRecord, Store, UserRecord } from './types.ts';

// `level` builds on abstract-level; its sublevel type is the one level's own methods return.
type Sub<V> = AbstractSublevel<Level<string, string>, string | Buffer | Uint8Array, string, V>;

const SEP = '!';
/** Quiet time after a document's last merge before LevelDB is asked to reclaim its space. */
const RECLAIM_DELAY_MS = 5_000; // never in a room name (see shared/rooms.ts), sorts before '/' and the id alphabet
const END = '~'; // sorts after every hex digit

const seqKey = (doc: string, seq: number) => `${doc}${SEP}${seq.toString(16).padStart(13, '0')}`;

interface LogState {
  nextSeq: number;
  count: number;
  /** Bytes of the oldest entry (the last merge), and of everything after it. */
  baseBytes: number;
  tailBytes: number;
}

/**
 * Merges a log into one update by replaying it into a fresh document and encoding its state.
 * `Y.mergeUpdates` would be the obvious call, but it does not squash runs of items and grows
 * quadratically with the number of updates: 25,000 one-character edits took 22 s and gave
 * 258 kB, against 0.1 s and 25 kB here (measured on this machine). Updates whose dependencies
 * are missing stay pending in the document and are part of its encoded state.
 */
export function mergeLog(updates: readonly Uint8Array[]): Uint8Array {
  const doc = new Y.Doc();
  doc.transact(() => {
    for (const update of updates) Y.applyUpdate(doc, update);
  });
  const merged = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return merged;
}

class LevelDocumentLog implements DocumentLog {
  private readonly state = new Map<string, Promise<LogState>>();
  private readonly compacting = new Set<string>();
  private readonly reclaimTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly updates: Sub<Uint8Array>,
    /** Per document: the schema version it was checked against on load (server/sync/schemaRepair.ts). */
    private readonly checks: Sub<number>,
    private readonly compactAfter: number,
    private readonly log: Logger,
    /** Asks LevelDB to rewrite a key range now, so the entries a merge replaced leave the disk. */
    private readonly reclaim: (from: string, to: string) => Promise<void>,
    private readonly metrics?: Metrics,
  ) {}

  private range(doc: string) {
    return { gt: `${doc}${SEP}`, lt: `${doc}${SEP}${END}` };
  }

  private stateOf(doc: string): Promise<LogState> {
    let state = this.state.get(doc);
    if (!state) {
      state = (async () => {
        let count = 0;
        let last = -1;
        let baseBytes = 0;
        let tailBytes = 0;
        for await (const [key, value] of this.updates.iterator(this.range(doc))) {
          if (count === 0) baseBytes = value.byteLength;
          else tailBytes += value.byteLength;
          count++;
          last = parseInt(key.slice(doc.length + 1), 16);
        }
        return { nextSeq: last + 1, count, baseBytes, tailBytes };
      })();
      this.state.set(doc, state);
    }
    return state;
  }

  async load(doc: string): Promise<Uint8Array | null> {
    const values = await this.updates.values(this.range(doc)).all();
    await this.stateOf(doc);
    if (values.length === 0) return null;
    return values.length === 1 ? values[0]! : mergeLog(values);
  }

  append(doc: string, update: Uint8Array): Promise<void> {
    return this.appendMany(doc, [update]);
  }

  async appendMany(doc: string, updates: readonly Uint8Array[]): Promise<void> {
    if (updates.length === 0) return;
    const state = await this.stateOf(doc);
    const first = state.nextSeq;
    updates.forEach((update, i) => {
      // The first entry of an empty log is its base, as after a merge.
      if (state.count === 0 && i === 0) state.baseBytes = update.byteLength;
      else state.tailBytes += update.byteLength;
    });
    state.nextSeq += updates.length;
    state.count += updates.length;
    const written = this.metrics?.storeWriteSeconds.startTimer();
    await this.updates.batch(updates.map((value, i) => ({ type: 'put' as const, key: seqKey(doc, first + i), value })));
    written?.();
    const seq = first + updates.length - 1;
    // Merging costs the whole document's size, so a large document is merged only once its log
    // has grown by half of it: the work per stored byte stays constant however large it gets.
    if (state.count >= this.compactAfter && state.tailBytes * 2 >= state.baseBytes && !this.compacting.has(doc)) {
      this.compacting.add(doc);
      this.compact(doc, seq)
        .catch((err: unknown) => this.log.error({ err, doc }, 'compaction failed; the log is kept as it was'))
        .finally(() => this.compacting.delete(doc));
    }
  }

  /** Merges every update up to `upTo` into one, replacing them in one atomic batch. */
  private async compact(doc: string, upTo: number): Promise<void> {
    const entries = await this.updates.iterator({ gt: `${doc}${SEP}`, lte: seqKey(doc, upTo) }).all();
    if (entries.length < 2) return;
    const merged = mergeLog(entries.map(([, value]) => value));
    const ops = entries.map(([key]) => ({ type: 'del' as const, key }));
    await this.updates.batch([...ops, { type: 'put', key: seqKey(doc, upTo), value: merged }]);
    const state = await this.stateOf(doc);
    state.count -= entries.length - 1;
    const mergedTail = entries.slice(1).reduce((sum, [, value]) => sum + value.byteLength, 0);
    state.tailBytes -= mergedTail;
    state.baseBytes = merged.byteLength;
    this.log.debug({ doc, merged: entries.length, bytes: merged.byteLength }, 'document log compacted');
    this.scheduleReclaim(doc);
  }

  /**
   * Without a range compaction, LevelDB keeps the entries a merge replaced (and its write-ahead
   * log) until its own compaction gets round to them: megabytes for a document of kilobytes.
   * Compacting is heavy, so it waits until a document's merges pause, and runs for what is still
   * pending when the store closes.
   */
  private scheduleReclaim(doc: string): void {
    clearTimeout(this.reclaimTimers.get(doc));
    this.reclaimTimers.set(
      doc,
      // reclaimNow catches and logs its own failures.
      setTimeout(() => {
        this.reclaimNow(doc).catch(() => undefined);
      }, RECLAIM_DELAY_MS).unref(),
    );
  }

  private async reclaimNow(doc: string): Promise<void> {
    clearTimeout(this.reclaimTimers.get(doc));
    this.reclaimTimers.delete(doc);
    try {
      await this.reclaim(`${doc}${SEP}`, `${doc}${SEP}${END}`);
    } catch (err) {
      this.log.warn({ err, doc }, 'reclaiming disk space after a merge failed; LevelDB will do it later');
    }
  }

  /** Finishes merges in progress and pending reclaims (before the database closes). */
  async settle(): Promise<void> {
    while (this.compacting.size > 0) await new Promise((r) => setTimeout(r, 10));
    for (const doc of [...this.reclaimTimers.keys()]) await this.reclaimNow(doc);
  }

  async logLength(doc: string): Promise<number> {
    return (await this.stateOf(doc)).count;
  }

  async remove(doc: string): Promise<void> {
    await this.updates.clear(this.range(doc));
    await this.checks.del(doc);
    this.state.delete(doc);
  }

  checkedAgainst(doc: string): Promise<number | undefined> {
    return this.checks.get(doc);
  }

  markChecked(doc: string, version: number): Promise<void> {
    return this.checks.put(doc, version);
  }

  async list(prefix: string): Promise<string[]> {
    const docs = new Set<string>();
    for await (const key of this.updates.keys({ gte: prefix, lt: `${prefix}${END}` })) {
      docs.add(key.slice(0, key.lastIndexOf(SEP)));
    }
    return [...docs];
  }
}

/**
 * Metadata on LevelDB. A record and its index entries (a user and its name, a member and its
 * membership, a live session and its code) are written in one atomic batch, so a backup's
 * snapshot, or a crash, never sees one without the other.
 */
class LevelMetaStore implements MetaStore {
  constructor(
    private readonly db: Level<string, string>,
    private readonly users: Sub<UserRecord>,
    private readonly usernames: Sub<string>,
    private readonly tokens: Sub<string>,
    private readonly sessions: Sub<SessionRecord>,
    private readonly notebooks: Sub<NotebookRecord>,
    private readonly members: Sub<string>,
    private readonly memberships: Sub<string>,
    private readonly liveSessions: Sub<LiveSessionRecord>,
    private readonly joinCodes: Sub<string>,
  ) {}

  async putLiveSession(session: LiveSessionRecord) {
    await this.db
      .batch()
      .put(session.notebookId, session, { sublevel: this.liveSessions })
      .put(session.code, session.notebookId, { sublevel: this.joinCodes })
      .write();
  }
  getLiveSession(notebookId: string) {
    return this.liveSessions.get(notebookId);
  }
  async liveSessionByCode(code: string) {
    const notebookId = await this.joinCodes.get(code);
    if (notebookId === undefined) return undefined;
    const session = await this.liveSessions.get(notebookId);
    return session?.code === code ? session : undefined;
  }
  async deleteLiveSession(session: LiveSessionRecord) {
    await this.db
      .batch()
      .del(session.code, { sublevel: this.joinCodes })
      .del(session.notebookId, { sublevel: this.liveSessions })
      .write();
  }

  async putUser(user: UserRecord, options: { indexName?: boolean } = {}) {
    const batch = this.db.batch().put(user.id, user, { sublevel: this.users });
    if (options.indexName !== false) batch.put(user.name, user.id, { sublevel: this.usernames });
    await batch.write();
  }
  getUser(id: string) {
    return this.users.get(id);
  }
  async getUserByName(name: string) {
    const id = await this.usernames.get(name);
    return id === undefined ? undefined : this.users.get(id);
  }
  listUsers() {
    return this.users.values().all();
  }
  async deleteUser(id: string) {
    const user = await this.users.get(id);
    if (!user) return;
    if ((await this.usernames.get(user.name)) === id) await this.usernames.del(user.name);
    await this.users.del(id);
  }
  async countUsers() {
    return (await this.users.keys().all()).length;
  }
  putTokenHash(hash: string, userId: string) {
    return this.tokens.put(hash, userId);
  }
  userIdForTokenHash(hash: string) {
    return this.tokens.get(hash);
  }
  putSession(hash: string, session: SessionRecord) {
    return this.sessions.put(hash, session);
  }
  getSession(hash: string) {
    return this.sessions.get(hash);
  }
  deleteSession(hash: string) {
    return this.sessions.del(hash);
  }

  putNotebook(notebook: NotebookRecord) {
    return this.notebooks.put(notebook.id, notebook);
  }
  getNotebook(id: string) {
    return this.notebooks.get(id);
  }
  listNotebooks() {
    return this.notebooks.values().all();
  }
  async deleteNotebook(id: string) {
    const batch = this.db.batch();
    for (const { userId } of await this.listMembers(id)) {
      batch.del(`${id}${SEP}${userId}`, { sublevel: this.members }).del(`${userId}${SEP}${id}`, { sublevel: this.memberships });
    }
    await batch.del(id, { sublevel: this.notebooks }).write();
  }

  async setMember(notebookId: string, userId: string, role: Role) {
    await this.db
      .batch()
      .put(`${notebookId}${SEP}${userId}`, role, { sublevel: this.members })
      .put(`${userId}${SEP}${notebookId}`, role, { sublevel: this.memberships })
      .write();
  }
  async removeMember(notebookId: string, userId: string) {
    await this.db
      .batch()
      .del(`${notebookId}${SEP}${userId}`, { sublevel: this.members })
      .del(`${userId}${SEP}${notebookId}`, { sublevel: this.memberships })
      .write();
  }
  async getRole(notebookId: string, userId: string) {
    const role = await this.members.get(`${notebookId}${SEP}${userId}`);
    return isRole(role) ? role : undefined;
  }
  async listMembers(notebookId: string) {
    const rows = await this.members.iterator({ gt: `${notebookId}${SEP}`, lt: `${notebookId}${SEP}${END}` }).all();
    return rows.flatMap(([key, role]) => (isRole(role) ? [{ userId: key.slice(notebookId.length + 1), role }] : []));
  }
  async notebooksOf(userId: string) {
    const rows = await this.memberships.iterator({ gt: `${userId}${SEP}`, lt: `${userId}${SEP}${END}` }).all();
    return rows.flatMap(([key, role]) => (isRole(role) ? [{ notebookId: key.slice(userId.length + 1), role }] : []));
  }
}

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
