// Publishing and handing in. A plain cell's publish copies my outputs into the shared document for
// everyone (as before). An exercise or scratch cell is handed in: my source and my outputs, to the
// teacher only (the hand-ins document, which editors and owners read and only the server writes),
// or to the class when the live session's option says so. The owner can show one hand-in to the
// class (the spotlight copies it into the shared document) and clear them all.
import { HttpError } from '../errors.ts';
import * as Y from 'yjs';
import { handinsRoom, privateRoom, sharedRoom } from '../../shared/rooms.ts';
import type { HandIn } from '../../shared/handins.ts';
import { handinsVisible, publishedMap } from '../../shared/handins.ts';
import { isExercise, myVersion, scratchCell } from '../../shared/myCells.ts';
import type { PublishedOutput } from '../../shared/schema.ts';
import { findCell, outputsToJSON } from '../../shared/schema.ts';
import { privateDoc, sharedDoc } from '../../shared/layout.ts';
import type { Rooms } from '../sync/rooms.ts';
import type { UserRecord } from '../store/types.ts';

/** A user's published outputs and hand-ins in one document, together: this many times --max-published-bytes. */
export const HANDIN_BYTES_PER_USER_FACTOR = 8;

/** Bytes (JSON) of what `userId` has published in a document, leaving out their entry for `exceptCellId`. */
function bytesOf(doc: Y.Doc, userId: string, exceptCellId: string): number {
  let total = 0;
  publishedMap(doc).forEach((perCell, cellId) => {
    if (cellId === exceptCellId || !(perCell instanceof Y.Map)) return;
    const entry = perCell.get(userId);
    if (entry) total += Buffer.byteLength(JSON.stringify(entry));
  });
  return total;
}

/** Transaction origin of publishes and hand-ins. */
const HANDIN_ORIGIN = Symbol('handin');

export type PublishResult = (PublishedOutput | HandIn) & { visibleToClass: boolean };

function put(doc: Y.Doc, cellId: string, userId: string, entry: PublishedOutput): void {
  const published = publishedMap(doc);
  doc.transact(() => {
    let perCell = published.get(cellId);
    if (!perCell) {
      perCell = new Y.Map<PublishedOutput>();
      published.set(cellId, perCell);
    }
    perCell.set(userId, entry);
  }, HANDIN_ORIGIN);
}

function remove(doc: Y.Doc, cellId: string, userId: string): void {
  const perCell = publishedMap(doc).get(cellId);
  if (perCell?.has(userId)) doc.transact(() => perCell.delete(userId), HANDIN_ORIGIN);
}

/**
 * Publishes my outputs of a cell (a plain cell), or hands in my version of an exercise or scratch
 * cell. Bounded by `maxBytes` (the JSON of what would be copied).
 */
export async function publishCell(rooms: Rooms, notebookId: string, user: UserRecord, cellId: string, maxBytes: number): Promise<PublishResult> {
  const shared = await rooms.acquire(sharedRoom(notebookId));
  const mine = await rooms.acquire(privateRoom(notebookId, user.id));
  const handins = await rooms.acquire(handinsRoom(notebookId));
  try {
    const found = findCell(shared.room.doc, cellId);
    const scratch = found ? undefined : scratchCell(mine.room.doc, cellId);
    if (!found && !scratch) throw new HttpError(404, 'cell_not_found', `no cell "${cellId}"`);
    const outputs = outputsToJSON(privateDoc(mine.room.doc).outputs.get(cellId));
    const base: PublishedOutput = { userId: user.id, name: user.name, outputs, published_at: Date.now() };
    let entry: PublishedOutput | HandIn;
    // Hand-ins are kept per live session: each says which one it came in during.
    const state = sharedDoc(shared.room.doc).session;
    const startedAt = state.get('startedAt');
    const session = state.get('active') === true && typeof startedAt === 'number' ? startedAt : null;
    if (scratch) {
      entry = { ...base, source: scratch.source.toString(), cell_type: scratch.type, kind: 'scratch', after: scratch.after, session };
    } else if (isExercise(found!.cell)) {
      entry = { ...base, source: myVersion(found!.cell, mine.room.doc).source, cell_type: 'code', kind: 'exercise', session };
    } else {
      if (outputs.length === 0) throw new HttpError(409, 'nothing_to_publish', 'run the cell first: it has no output of yours');
      entry = base;
    }
    // A published copy goes to others; what a user's private document holds is not bounded by the
    // kernel's output cap (clients write there too), so the copy is bounded here.
    const bytes = Buffer.byteLength(JSON.stringify(entry));
    if (bytes > maxBytes) {
      throw new HttpError(
        413,
        'published_too_large',
        `your ${'source' in entry ? 'source and output' : 'output'} of this cell is ${bytes} bytes; at most ${maxBytes} can be published (--max-published-bytes)`,
      );
    }
    const toClass = !('source' in entry) || handinsVisible(shared.room.doc);
    // Scratch cells are as many as a student makes: what one user has handed in is bounded in all.
    const target = toClass ? shared.room.doc : handins.room.doc;
    const total = bytesOf(target, user.id, cellId) + bytes;
    if (total > maxBytes * HANDIN_BYTES_PER_USER_FACTOR) {
      throw new HttpError(
        413,
        'handins_full',
        `what you handed in here would take ${total} bytes; at most ${maxBytes * HANDIN_BYTES_PER_USER_FACTOR} per person (${HANDIN_BYTES_PER_USER_FACTOR} × --max-published-bytes): ask the teacher to clear the hand-ins`,
      );
    }
    put(toClass ? shared.room.doc : handins.room.doc, cellId, user.id, entry);
    // Handed in again under the other rule: one place only, the latest.
    if ('source' in entry) remove(toClass ? handins.room.doc : shared.room.doc, cellId, user.id);
    await Promise.all([shared.room.flushed(), handins.room.flushed()]);
    return { ...entry, visibleToClass: toClass };
  } finally {
    shared.release();
    mine.release();
    handins.release();
  }
}

/** The live session's options (owner): `handinsVisible` — hand-ins go to the class from now on. */
export async function setSessionOptions(rooms: Rooms, notebookId: string, options: { handinsVisible?: unknown }): Promise<void> {
  if (typeof options.handinsVisible !== 'boolean') {
    throw new HttpError(400, 'invalid_options', 'give { handinsVisible: true | false }');
  }
  const lease = await rooms.acquire(sharedRoom(notebookId));
  try {
    lease.room.doc.transact(() => sharedDoc(lease.room.doc).session.set('handinsVisible', options.handinsVisible), HANDIN_ORIGIN);
    await lease.room.flushed();
  } finally {
    lease.release();
  }
}

/** Removes every published output and hand-in, and the spotlight (owner: "Clear hand-ins"). */
export async function clearHandins(rooms: Rooms, notebookId: string): Promise<void> {
  const shared = await rooms.acquire(sharedRoom(notebookId));
  const handins = await rooms.acquire(handinsRoom(notebookId));
  try {
    for (const doc of [shared.room.doc, handins.room.doc]) {
      const published = publishedMap(doc);
      if (published.size > 0) doc.transact(() => published.clear(), HANDIN_ORIGIN);
    }
    const session = sharedDoc(shared.room.doc).session;
    if (session.has('spotlight')) shared.room.doc.transact(() => session.delete('spotlight'), HANDIN_ORIGIN);
    await Promise.all([shared.room.flushed(), handins.room.flushed()]);
  } finally {
    shared.release();
    handins.release();
  }
}

/**
 * Before a hand-in goes on screen: the owner shows it to the class, so a teacher-only hand-in is
 * copied into the shared document (where the spotlight reads it). No-op for what is there already.
 */
export async function bringToClass(rooms: Rooms, notebookId: string, cellId: string, userId: string): Promise<void> {
  const shared = await rooms.acquire(sharedRoom(notebookId));
  const handins = await rooms.acquire(handinsRoom(notebookId));
  try {
    if (publishedMap(shared.room.doc).get(cellId)?.get(userId)) return;
    const entry = publishedMap(handins.room.doc).get(cellId)?.get(userId);
    if (!entry) return;
    put(shared.room.doc, cellId, userId, entry);
    await shared.room.flushed();
  } finally {
    shared.release();
    handins.release();
  }
}
