// Cells copied with C / X and pasted with V, and cells deleted by this person (for Z). The
// clipboard is kept in the tab's sessionStorage, so a cell copied in one notebook pastes into
// another; the deletion history belongs to one open notebook and is only this person's own
// deletions — Z never brings back a cell a co-author deleted.
import type { Cell } from '../../shared/nbformat.ts';
import { createCellMap, type YCell } from '../../shared/schema.ts';

const CLIPBOARD_KEY = 'cohort-cell-clipboard';
const HISTORY_LIMIT = 50;

export function copyCells(cells: Cell[]): void {
  try {
    sessionStorage.setItem(CLIPBOARD_KEY, JSON.stringify(cells));
  } catch {
    // storage full or blocked: the copy is lost, nothing else breaks
  }
}

function isCell(value: unknown): value is Cell {
  if (typeof value !== 'object' || value === null) return false;
  const { cell_type, source } = value as Record<string, unknown>;
  return (cell_type === 'code' || cell_type === 'markdown' || cell_type === 'raw') && (typeof source === 'string' || Array.isArray(source));
}

/** Fresh cells (new ids, no outputs) from the clipboard; none when it is empty or unreadable. */
export function pastedCells(): YCell[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(sessionStorage.getItem(CLIPBOARD_KEY) ?? '[]');
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.filter(isCell).map((cell) => {
    const { id: _id, ...rest } = cell;
    return rest.cell_type === 'code'
      ? createCellMap({ ...rest, cell_type: 'code', outputs: [], execution_count: null })
      : createCellMap({ cell_type: rest.cell_type, source: rest.source, metadata: rest.metadata });
  });
}

export interface DeletedCell {
  index: number;
  cell: Cell;
}

/** This person's deletions in one notebook, newest last. */
export class DeletionHistory {
  private readonly deleted: DeletedCell[] = [];

  remember(index: number, cell: Cell): void {
    this.deleted.push({ index, cell });
    if (this.deleted.length > HISTORY_LIMIT) this.deleted.shift();
  }

  /** The newest deletion as a cell to insert (same id, so my outputs of it come back), and where. */
  restore(existingIds: Set<string>): { index: number; cell: YCell } | undefined {
    const last = this.deleted.pop();
    if (!last) return undefined;
    const clash = last.cell.id !== undefined && existingIds.has(last.cell.id);
    return { index: last.index, cell: createCellMap(clash ? { ...last.cell, id: undefined } : last.cell) };
  }
}
