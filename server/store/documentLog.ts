// The documents' update logs on LevelDB: one ordered log per document (key `<doc>!<seq>`), appended
// in batches, merged into one update once it grows long (a single atomic batch), the disk space of
// merged entries reclaimed after the merges pause. Opened by level.ts.
import * as Y from 'yjs';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { Sub } from './keys.ts';
import { END, SEP } from './keys.ts';
import type { DocumentLog } from './types.ts';

/** Quiet time after a document's last merge before LevelDB is asked to reclaim its space. */
const RECLAIM_DELAY_MS = 5_000;

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

export class LevelDocumentLog implements DocumentLog {
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
