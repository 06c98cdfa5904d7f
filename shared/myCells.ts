// A user's own code, kept in their private document (room `<notebookId>/user/<userId>`), used by
// server and client alike:
//
// - `exercises`: cellId → Y.Map { source: Y.Text, base: string } — the user's copy of an exercise
//   cell (a user-scope code cell whose `metadata.cohort.exercise` is true). It is made on the
//   user's first edit, from the teacher's source as it was then (`base`). No copy: the user has
//   not edited, and sees and runs the teacher's source as it is now. A copy whose `base` differs
//   from the teacher's current source: "the teacher's version changed".
// - `scratch`: scratchId → Y.Map shaped like a cell (id, cell_type, source: Y.Text, metadata) plus
//   where it sits: `after` (the id of the shared cell it follows; null: before the first cell),
//   `pos` (a Yjs relative position of that cell in the shared `cells`, for when the cell is gone)
//   and `order` (among scratch cells after the same cell).
//
// Anchoring by id follows a cell that is moved (a move replaces the cell's Y.Map under the same
// id). When the cell is deleted (or hidden), the relative position still resolves: Yjs keeps the
// deleted item as a tombstone in the array, and its position is right after the nearest cell
// before it that still exists — so a scratch cell lands there, and is never lost. (A move gives the
// cell a new Y.Map; the page then points the position at it: refreshScratchPositions.)
import * as Y from 'yjs';
import type { CellType } from './nbformat.ts';
import type { YCell } from './schema.ts';
import { cellId, cellMetadata, cellScope, cellSource, cellType, isCellMap, readableCells } from './schema.ts';
import { privateDoc, sharedDoc } from './layout.ts';

// ---- exercise cells ----------------------------------------------------------------------------

/** Whether a cell is an exercise: a user-scope code cell marked `metadata.cohort.exercise`. */
export function isExercise(cell: YCell): boolean {
  if (cellType(cell) !== 'code' || cellScope(cell) !== 'user') return false;
  const metadata = cellMetadata(cell);
  const cohort = (metadata instanceof Y.Map ? metadata.get('cohort') : undefined) as { exercise?: unknown } | undefined;
  return cohort?.exercise === true;
}

/** Marks or unmarks a cell as an exercise (editors, in the shared document). */
export function setExercise(cell: YCell, exercise: boolean): void {
  const metadata = cellMetadata(cell);
  const cohort = { ...((metadata.get('cohort') as Record<string, unknown> | undefined) ?? {}) };
  if (exercise) cohort['exercise'] = true;
  else delete cohort['exercise'];
  metadata.set('cohort', cohort);
}

export function exerciseCopies(privateYDoc: Y.Doc): Y.Map<Y.Map<unknown>> {
  return privateDoc(privateYDoc).exercises;
}

export interface ExerciseCopy {
  readonly map: Y.Map<unknown>;
  readonly source: Y.Text;
  /** The teacher's source when the copy was made. */
  readonly base: string;
}

/** My copy of a cell, if I made one (an entry that is not a copy counts as none). */
export function exerciseCopy(privateYDoc: Y.Doc, id: string): ExerciseCopy | undefined {
  const map = exerciseCopies(privateYDoc).get(id);
  if (!(map instanceof Y.Map)) return undefined;
  const source = map.get('source');
  const base = map.get('base');
  if (!(source instanceof Y.Text) || typeof base !== 'string') return undefined;
  return { map, source, base };
}

/** Makes my copy of an exercise cell from the teacher's source as it is now. */
export function createExerciseCopy(privateYDoc: Y.Doc, id: string, teacherSource: string): ExerciseCopy {
  const map = new Y.Map<unknown>();
  map.set('source', new Y.Text(teacherSource));
  map.set('base', teacherSource);
  map.set('created_at', Date.now());
  privateYDoc.transact(() => exerciseCopies(privateYDoc).set(id, map));
  return exerciseCopy(privateYDoc, id)!;
}

/** Back to the teacher's version: my copy is deleted, the cell shows (and runs) the shared source. */
export function resetExercise(privateYDoc: Y.Doc, id: string): void {
  const copies = exerciseCopies(privateYDoc);
  if (copies.has(id)) privateYDoc.transact(() => copies.delete(id));
}

export interface MyVersion {
  /** The source I see and run. */
  source: string;
  /** An exercise cell of which I have my own copy. */
  edited: boolean;
  /** I have a copy and the teacher's source has changed since I made it. */
  teacherChanged: boolean;
}

/** The source of a shared cell as a user sees it: their copy for an exercise they edited, else the cell's. */
export function myVersion(cell: YCell, privateYDoc: Y.Doc | undefined): MyVersion {
  const shared = cellSource(cell).toString();
  const copy = privateYDoc && isExercise(cell) ? exerciseCopy(privateYDoc, cellId(cell)) : undefined;
  if (!copy) return { source: shared, edited: false, teacherChanged: false };
  return { source: copy.source.toString(), edited: true, teacherChanged: copy.base !== shared };
}

// ---- scratch cells ---------------------------------------------------------------------------

export type ScratchType = Extract<CellType, 'code' | 'markdown'>;
const SCRATCH_PREFIX = 'scratch-';
/** nbformat 4.5's cell id alphabet and length, so a scratch cell exports as a valid cell. */
const CELL_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function scratchMap(privateYDoc: Y.Doc): Y.Map<YCell> {
  return privateDoc(privateYDoc).scratch;
}

export function newScratchId(): string {
  return `${SCRATCH_PREFIX}${globalThis.crypto.randomUUID().replace(/-/g, '').slice(0, 16)}`;
}

export interface ScratchCell {
  readonly id: string;
  readonly cell: YCell;
  readonly type: ScratchType;
  readonly source: Y.Text;
  /** The shared cell it follows; null: before the first one. */
  readonly after: string | null;
  readonly pos: unknown;
  readonly order: number;
}

function readScratch(id: string, cell: unknown): ScratchCell | undefined {
  if (!CELL_ID.test(id) || !isCellMap(cell) || cellId(cell) !== id) return undefined;
  const type = cellType(cell);
  if (type !== 'code' && type !== 'markdown') return undefined;
  const after = cell.get('after');
  const order = cell.get('order');
  return {
    id,
    cell,
    type,
    source: cellSource(cell),
    after: typeof after === 'string' ? after : null,
    pos: cell.get('pos') ?? null,
    order: typeof order === 'number' && Number.isFinite(order) ? order : 0,
  };
}

/** My scratch cells (entries that are not usable cells are skipped). */
export function scratchCells(privateYDoc: Y.Doc): ScratchCell[] {
  const found: ScratchCell[] = [];
  scratchMap(privateYDoc).forEach((cell, id) => {
    const scratch = readScratch(id, cell);
    if (scratch) found.push(scratch);
  });
  return found;
}

export function scratchCell(privateYDoc: Y.Doc, id: string): ScratchCell | undefined {
  return readScratch(id, scratchMap(privateYDoc).get(id));
}

export interface ScratchPlace {
  /** The shared cell the new scratch cell follows; null: the top of the notebook. */
  after: string | null;
  order: number;
  /** The position to keep, when it is another scratch cell's (of a shared cell that may be gone). */
  pos?: unknown;
}

/**
 * Adds a scratch cell. `sharedYDoc` gives the relative position of the cell it follows, so it
 * keeps its place if that cell is deleted later.
 */
export function createScratchCell(privateYDoc: Y.Doc, sharedYDoc: Y.Doc, place: ScratchPlace, type: ScratchType = 'code', source = ''): ScratchCell {
  const id = newScratchId();
  const cell = new Y.Map<unknown>();
  cell.set('id', id);
  cell.set('cell_type', type);
  cell.set('source', new Y.Text(source));
  const metadata = new Y.Map<unknown>();
  metadata.set('cohort', { scratch: true });
  cell.set('metadata', metadata);
  cell.set('after', place.after);
  cell.set('pos', place.pos !== undefined ? place.pos : place.after === null ? null : positionAfter(sharedYDoc, place.after));
  cell.set('order', place.order);
  cell.set('created_at', Date.now());
  privateYDoc.transact(() => scratchMap(privateYDoc).set(id, cell));
  return scratchCell(privateYDoc, id)!;
}

export function deleteScratchCell(privateYDoc: Y.Doc, id: string): void {
  const map = scratchMap(privateYDoc);
  if (map.has(id)) privateYDoc.transact(() => map.delete(id));
}

/** A relative position that stays right after the cell `id` in the shared `cells` (JSON, for the document). */
function positionAfter(sharedYDoc: Y.Doc, id: string): unknown {
  const cells = sharedDoc(sharedYDoc).cells;
  let index = -1;
  cells.forEach((cell, i) => {
    if (index < 0 && isCellMap(cell) && cellId(cell) === id) index = i;
  });
  if (index < 0) return null;
  // assoc -1: the position belongs to the cell before it (this one), not to whatever comes next.
  return Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(cells, index + 1, -1));
}

/**
 * Points the position of each scratch cell at its cell's current Y.Map. A move replaces the cell's
 * Y.Map, and a position keeps pointing at the old (deleted) one: were the cell deleted later, the
 * scratch cell would land where the cell used to be before it moved, not where it was last seen.
 * The page calls this when the shared cells change; returns how many positions it updated.
 */
export function refreshScratchPositions(privateYDoc: Y.Doc, sharedYDoc: Y.Doc): number {
  const stale: Array<{ scratch: ScratchCell; pos: unknown }> = [];
  for (const scratch of scratchCells(privateYDoc)) {
    if (scratch.after === null) continue;
    const pos = positionAfter(sharedYDoc, scratch.after);
    if (pos !== null && JSON.stringify(pos) !== JSON.stringify(scratch.pos)) stale.push({ scratch, pos });
  }
  if (stale.length > 0) privateYDoc.transact(() => stale.forEach(({ scratch, pos }) => scratch.cell.set('pos', pos)));
  return stale.length;
}

/**
 * Where each scratch cell goes among the shared cells: `slots[k]` holds the scratch cells after the
 * k-th readable shared cell (`slots[0]`: before the first), in order. A scratch cell whose cell
 * and position are both unknown goes last: it is shown, not lost.
 */
export function placeScratch(sharedYDoc: Y.Doc, scratch: readonly ScratchCell[]): ScratchCell[][] {
  const cells = sharedDoc(sharedYDoc).cells;
  const readable = readableCells(cells);
  const slotOfId = new Map(readable.map((cell, index) => [cellId(cell), index + 1] as const));
  // Raw array index → readable cells before it, for positions (which count every array entry).
  const readableBefore: number[] = [];
  let seen = 0;
  cells.forEach((cell, index) => {
    readableBefore[index] = seen;
    if (isCellMap(cell)) seen++;
  });
  readableBefore[cells.length] = seen;
  const slots: ScratchCell[][] = Array.from({ length: readable.length + 1 }, () => []);
  for (const entry of scratch) {
    let slot: number | undefined;
    if (entry.after === null) slot = 0;
    else slot = slotOfId.get(entry.after) ?? slotOfPosition(sharedYDoc, cells, entry.pos, readableBefore);
    slots[slot ?? readable.length]!.push(entry);
  }
  for (const slot of slots) slot.sort((a, b) => a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return slots;
}

function slotOfPosition(sharedYDoc: Y.Doc, cells: Y.Array<YCell>, pos: unknown, readableBefore: number[]): number | undefined {
  if (typeof pos !== 'object' || pos === null) return undefined;
  try {
    const absolute = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(pos), sharedYDoc);
    if (!absolute || absolute.type !== cells) return undefined;
    return readableBefore[Math.min(absolute.index, cells.length)];
  } catch {
    return undefined; // a position this document cannot resolve: treated as unknown
  }
}

/** The `order` for a new scratch cell right after `after` (a shared cell, or a scratch cell in that slot). */
export function orderAfter(slot: readonly ScratchCell[], afterScratchId?: string): number {
  if (slot.length === 0) return 0;
  if (afterScratchId === undefined) return slot[0]!.order - 1;
  const index = slot.findIndex((entry) => entry.id === afterScratchId);
  if (index < 0) return slot[slot.length - 1]!.order + 1;
  const next = slot[index + 1];
  return next ? (slot[index]!.order + next.order) / 2 : slot[index]!.order + 1;
}

/** Every cell id of a user's notebook view in order: shared cell ids with scratch ids interleaved. */
export function myCellOrder(sharedYDoc: Y.Doc, privateYDoc: Y.Doc): Array<{ id: string; scratch: boolean }> {
  const readable = readableCells(sharedDoc(sharedYDoc).cells);
  const slots = placeScratch(sharedYDoc, scratchCells(privateYDoc));
  const order: Array<{ id: string; scratch: boolean }> = slots[0]!.map((s) => ({ id: s.id, scratch: true }));
  readable.forEach((cell, index) => {
    order.push({ id: cellId(cell), scratch: false });
    for (const s of slots[index + 1]!) order.push({ id: s.id, scratch: true });
  });
  return order;
}
