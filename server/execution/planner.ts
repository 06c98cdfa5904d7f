// Plans a run request: the cell ids a user asked to run become segments — consecutive cells of one
// scope, each with the source to run and the kernelspec to start — read from the shared document
// and the user's private document once each. Checks every cell first, so an unknown id or a
// forbidden cell runs nothing (docs/ARCHITECTURE.md, "The path of a cell run").
import { sharedDoc } from '../../shared/layout.ts';
import { myVersion, scratchCell } from '../../shared/myCells.ts';
import { can } from '../../shared/roles.ts';
import { privateRoom, sharedRoom } from '../../shared/rooms.ts';
import type { Scope } from '../../shared/schema.ts';
import { cellId, cellScope, cellSource, cellType, notebookMetadata, readableCells } from '../../shared/schema.ts';
import { HttpError } from '../errors.ts';
import type { NotebookSummary } from '../notebooks/service.ts';
import type { Rooms } from '../sync/rooms.ts';

export interface PlannedCell {
  cellId: string;
  /** The source as it is now: the user's own version where they have one. */
  source: string;
}

export interface Segment {
  scope: Scope;
  /** The notebook's kernelspec name; undefined: the server's default. */
  kernelspec: string | undefined;
  cells: PlannedCell[];
}

/**
 * The segments of a run, in cell order. Sources are the user's own versions where they have one
 * (their copy of an exercise cell; their scratch cells, which run in their kernel: shared/myCells.ts).
 */
export async function planRun(rooms: Rooms, notebook: NotebookSummary, userId: string, cellIds: readonly string[]): Promise<Segment[]> {
  if (!can.runUserCells(notebook.role)) throw new HttpError(403, 'forbidden', `your role (${notebook.role}) may not run cells`);
  const shared = await rooms.acquire(sharedRoom(notebook.id));
  const mine = await rooms.acquire(privateRoom(notebook.id, userId)).catch((err: unknown) => {
    shared.release();
    throw err;
  });
  const planned: Array<PlannedCell & { scope: Scope }> = [];
  let kernelspec: string | undefined;
  try {
    const readable = readableCells(sharedDoc(shared.room.doc).cells, (index) => shared.room.skipped(`cells[${index}]`));
    const cells = new Map(readable.map((cell) => [cellId(cell), cell] as const));
    for (const id of cellIds) {
      const cell = cells.get(id);
      if (!cell) {
        const scratch = scratchCell(mine.room.doc, id);
        if (!scratch) throw new HttpError(404, 'cell_not_found', `no cell "${id}" in this notebook`);
        if (scratch.type === 'code') planned.push({ cellId: id, scope: 'user', source: scratch.source.toString() });
        continue;
      }
      if (cellType(cell) !== 'code') continue;
      const scope = cellScope(cell);
      if (scope === 'shared' && !can.runSharedCells(notebook.role)) {
        throw new HttpError(403, 'forbidden', `cell "${id}" is shared-scope: only the owner may run it`);
      }
      planned.push({ cellId: id, scope, source: scope === 'user' ? myVersion(cell, mine.room.doc).source : cellSource(cell).toString() });
    }
    kernelspec = kernelspecOf(notebookMetadata(shared.room.doc));
  } finally {
    shared.release();
    mine.release();
  }
  // Consecutive cells of one scope form a segment; segments run one after another, in cell order.
  const segments: Segment[] = [];
  for (const { scope, ...cell } of planned) {
    const last = segments.at(-1);
    if (last?.scope === scope) last.cells.push(cell);
    else segments.push({ scope, kernelspec, cells: [cell] });
  }
  return segments;
}

function kernelspecOf(metadata: Record<string, unknown>): string | undefined {
  const kernelspec = metadata.kernelspec as { name?: unknown } | undefined;
  return typeof kernelspec?.name === 'string' && kernelspec.name !== '' ? kernelspec.name : undefined;
}

/** A run request's cell ids, checked: a non-empty array of strings. */
export function parseCellIds(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((id): id is string => typeof id === 'string')) {
    throw new HttpError(400, 'invalid_cell_ids', 'cellIds must be a non-empty array of cell ids');
  }
  return value;
}
