// Progressive reveal with the scope model: cells the teacher has not revealed live in a separate
// document (room `<notebookId>/hidden`, editors and owners only), so runners never receive them —
// not hidden in the UI, absent from every document they can read. Hiding moves cells there;
// revealing moves them back to the end of the shared document.
//
// Two documents cannot change in one transaction, so a move writes the destination first and
// then deletes the source: a crash in between duplicates a cell, never loses one.
import { hiddenRoom, sharedRoom } from '../../shared/rooms.ts';
import type { YCell } from '../../shared/schema.ts';
import { cellId, cellToJSON, createCellMap } from '../../shared/schema.ts';
import { sharedDoc } from '../../shared/layout.ts';
import type { Rooms } from '../sync/rooms.ts';
import { HttpError } from '../errors.ts';

const REVEAL_ORIGIN = Symbol('reveal');

async function withBoth<T>(rooms: Rooms, notebookId: string, work: (shared: ReturnType<typeof sharedDoc>, hidden: ReturnType<typeof sharedDoc>, flush: () => Promise<void>) => Promise<T>): Promise<T> {
  const shared = await rooms.acquire(sharedRoom(notebookId));
  const hidden = await rooms.acquire(hiddenRoom(notebookId));
  try {
    return await work(sharedDoc(shared.room.doc), sharedDoc(hidden.room.doc), async () => {
      await Promise.all([shared.room.flushed(), hidden.room.flushed()]);
    });
  } finally {
    shared.release();
    hidden.release();
  }
}

const copy = (cell: YCell) => createCellMap(cellToJSON(cell));

/** Moves `fromCellId` and every cell after it into the hidden document (before cells already hidden). */
export function hideFrom(rooms: Rooms, notebookId: string, fromCellId: unknown): Promise<{ hidden: number }> {
  return withBoth(rooms, notebookId, async (shared, hidden, flush) => {
    const index = shared.cells.toArray().findIndex((cell) => cellId(cell) === fromCellId);
    if (index < 0) throw new HttpError(404, 'cell_not_found', `no cell "${String(fromCellId)}" in the notebook`);
    if (index === 0) throw new HttpError(400, 'nothing_left', 'keep at least the first cell visible');
    const moving = shared.cells.toArray().slice(index);
    hidden.cells.doc!.transact(() => hidden.cells.insert(0, moving.map(copy)), REVEAL_ORIGIN);
    await flush();
    shared.cells.doc!.transact(() => shared.cells.delete(index, moving.length), REVEAL_ORIGIN);
    await flush();
    return { hidden: hidden.cells.length };
  });
}

/** Which hidden cells to reveal: the next `count`, all up to and including one, or all. */
export interface RevealRequest {
  count?: unknown;
  throughCellId?: unknown;
  all?: unknown;
}

/** How many of the hidden cells (in order) the request reveals; checked before anything moves. */
function revealCount(hidden: YCell[], request: RevealRequest): number {
  if (request.all === true) return hidden.length;
  if (request.throughCellId !== undefined) {
    const index = hidden.findIndex((cell) => cellId(cell) === request.throughCellId);
    if (index < 0) throw new HttpError(404, 'cell_not_found', `no hidden cell "${String(request.throughCellId)}"`);
    return index + 1;
  }
  const n = request.count === undefined ? 1 : Number(request.count);
  if (!Number.isInteger(n) || n < 1) throw new HttpError(400, 'invalid_count', 'count is a positive integer');
  return n;
}

/** Moves the first hidden cells (as many as the request says) to the end of the shared document. */
export function reveal(rooms: Rooms, notebookId: string, request: RevealRequest = {}): Promise<{ revealed: string[]; hidden: number }> {
  return withBoth(rooms, notebookId, async (shared, hidden, flush) => {
    const moving = hidden.cells.toArray().slice(0, revealCount(hidden.cells.toArray(), request));
    if (moving.length === 0) return { revealed: [], hidden: 0 };
    const revealed = moving.map(cellId); // read before the source cells are deleted
    shared.cells.doc!.transact(() => shared.cells.push(moving.map(copy)), REVEAL_ORIGIN);
    await flush();
    hidden.cells.doc!.transact(() => hidden.cells.delete(0, moving.length), REVEAL_ORIGIN);
    await flush();
    return { revealed, hidden: hidden.cells.length };
  });
}

export async function hiddenCount(rooms: Rooms, notebookId: string): Promise<number> {
  const lease = await rooms.acquire(hiddenRoom(notebookId));
  try {
    return sharedDoc(lease.room.doc).cells.length;
  } finally {
    lease.release();
  }
}
