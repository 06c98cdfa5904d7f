// A user's own view of a notebook, read from their private document beside the shared one: their
// versions of exercise cells and their scratch cells in place (shared/myCells.ts). Used by the
// `outputs=mine` export and by `GET …/cells/:cellId/mine`. Only the caller's own private document
// is ever read here, so nobody's code reaches anyone else.
import type * as Y from 'yjs';
import type { Cell, CodeCell, Notebook, Output } from '../../shared/nbformat.ts';
import type { ScratchCell } from '../../shared/myCells.ts';
import { isExercise, myVersion, placeScratch, scratchCell, scratchCells } from '../../shared/myCells.ts';
import type { ExecutionInfo } from '../../shared/schema.ts';
import { cellId, cellScope, cellToJSON, findCell, outputsToJSON, readableCells } from '../../shared/schema.ts';
import { privateDoc, sharedDoc } from '../../shared/layout.ts';

/** My outputs and execution count of a cell (shared or scratch) from my private document. */
function myOutputs(privateYDoc: Y.Doc, id: string): { outputs: Output[]; execution_count: number | null; ran: boolean } {
  const own = privateDoc(privateYDoc);
  const execution = own.executions.get(id);
  const outputs = own.outputs.get(id);
  return { outputs: outputsToJSON(outputs), execution_count: execution?.execution_count ?? null, ran: execution !== undefined || outputs !== undefined };
}

/** A scratch cell as an nbformat cell, marked `metadata.cohort.scratch`, with my outputs. */
export function scratchToJSON(scratch: ScratchCell, privateYDoc: Y.Doc): Cell {
  const base = { id: scratch.id, source: scratch.source.toString(), metadata: { cohort: { scratch: true } } };
  if (scratch.type === 'markdown') return { ...base, cell_type: 'markdown' };
  const { outputs, execution_count } = myOutputs(privateYDoc, scratch.id);
  return { ...base, cell_type: 'code', outputs, execution_count };
}

/**
 * `notebook` (the shared cells as nbformat, in the shared document's readable order) with my
 * exercise sources in place of the teacher's, and my scratch cells where they sit.
 */
export function withMyCells(notebook: Notebook, sharedYDoc: Y.Doc, privateYDoc: Y.Doc): Notebook {
  const readable = readableCells(sharedDoc(sharedYDoc).cells);
  const byId = new Map(readable.map((cell) => [cellId(cell), cell] as const));
  const slots = placeScratch(sharedYDoc, scratchCells(privateYDoc));
  const taken = new Set(readable.map(cellId));
  // A scratch id that a shared cell also has (an editor can name cells anything) is left out: ids must be unique.
  const scratchJSON = (slot: ScratchCell[]) => slot.filter((s) => !taken.has(s.id)).map((s) => scratchToJSON(s, privateYDoc));
  const cells: Cell[] = [...scratchJSON(slots[0] ?? [])];
  notebook.cells.forEach((json, index) => {
    const cell = json.id !== undefined ? byId.get(json.id) : undefined;
    if (cell && json.cell_type === 'code' && isExercise(cell)) {
      const mine: CodeCell = { ...json, source: myVersion(cell, privateYDoc).source };
      cells.push(mine);
    } else {
      cells.push(json);
    }
    cells.push(...scratchJSON(slots[index + 1] ?? []));
  });
  return { ...notebook, cells };
}

export interface MyCell {
  cellId: string;
  /** `exercise`: an exercise cell; `scratch`: one of my scratch cells; `cell`: any other shared cell. */
  kind: 'exercise' | 'scratch' | 'cell';
  cell_type: string;
  source: string;
  /** Exercise cells: whether I have my own copy, and whether the teacher's source changed since. */
  edited?: boolean;
  teacherChanged?: boolean;
  /** The teacher's current source, for an exercise I edited. */
  teacherSource?: string;
  outputs: Output[];
  execution_count: number | null;
  status: ExecutionInfo['status'] | null;
}

/** My version of one cell (shared or scratch), or undefined when I have no cell of that id. */
export function myCell(sharedYDoc: Y.Doc, privateYDoc: Y.Doc, id: string): MyCell | undefined {
  const status = privateDoc(privateYDoc).executions.get(id)?.status ?? null;
  const found = findCell(sharedYDoc, id);
  if (found) {
    const json = cellToJSON(found.cell);
    const { outputs, execution_count } = myOutputs(privateYDoc, id);
    if (isExercise(found.cell)) {
      const version = myVersion(found.cell, privateYDoc);
      return {
        cellId: id,
        kind: 'exercise',
        cell_type: json.cell_type,
        source: version.source,
        edited: version.edited,
        teacherChanged: version.teacherChanged,
        ...(version.edited ? { teacherSource: String(json.source) } : {}),
        outputs,
        execution_count,
        status,
      };
    }
    // A shared-scope cell's outputs are everyone's, in the shared document.
    const shared = json.cell_type === 'code' && cellScope(found.cell) === 'shared';
    return {
      cellId: id,
      kind: 'cell',
      cell_type: json.cell_type,
      source: String(json.source),
      outputs: shared ? json.outputs : json.cell_type === 'code' ? outputs : [],
      execution_count: shared ? json.execution_count : execution_count,
      status,
    };
  }
  const scratch = scratchCell(privateYDoc, id);
  if (!scratch) return undefined;
  const { outputs, execution_count } = myOutputs(privateYDoc, id);
  return { cellId: id, kind: 'scratch', cell_type: scratch.type, source: scratch.source.toString(), outputs, execution_count, status };
}
