// A notebook as nbformat JSON, with the outputs a caller asked for:
// `shared` — the shared document's; `mine` — shared-scope cells from the shared document, user-scope
// cells from the caller's private document (falling back to the shared document's saved outputs
// for cells the caller never ran), with the caller's own versions of exercise cells and their
// scratch cells in place; `none` — no outputs.
// With outputs, `metadata.widgets` carries the state of the widgets those outputs show (the shared
// document's, plus the caller's own for `mine`), as Jupyter saves it; without, it is dropped.
import type { Notebook, Output } from '../../shared/nbformat.ts';
import { hiddenRoom, privateRoom, sharedRoom } from '../../shared/rooms.ts';
import { cellId, cellScope, cellToJSON, outputsToJSON, readableCells, sharedDocToNotebook } from '../../shared/schema.ts';
import { privateDoc, sharedDoc } from '../../shared/layout.ts';
import type { Rooms } from '../sync/rooms.ts';
import { withMyCells } from '../exercises/myNotebook.ts';
import { widgetStateMetadata } from '../export/widgetState.ts';

export type OutputChoice = 'mine' | 'shared' | 'none';

export async function notebookSnapshot(
  rooms: Rooms,
  notebookId: string,
  choice: OutputChoice,
  userId: string,
  /** Editors and owners get the cells not revealed yet, after the visible ones. */
  includeHidden = false,
): Promise<Notebook> {
  const notebook = await visibleSnapshot(rooms, notebookId, choice, userId);
  if (!includeHidden) return notebook;
  const hidden = await rooms.acquire(hiddenRoom(notebookId));
  try {
    const readable = readableCells(sharedDoc(hidden.room.doc).cells, (index) => hidden.room.skipped(`cells[${index}]`));
    const cells = readable.map((cell) => {
      const json = cellToJSON(cell);
      return choice === 'none' && json.cell_type === 'code' ? { ...json, outputs: [], execution_count: null } : json;
    });
    return { ...notebook, cells: [...notebook.cells, ...cells] };
  } finally {
    hidden.release();
  }
}

async function visibleSnapshot(
  rooms: Rooms,
  notebookId: string,
  choice: OutputChoice,
  userId: string,
): Promise<Notebook> {
  const shared = await rooms.acquire(sharedRoom(notebookId));
  const mine = choice === 'mine' ? await rooms.acquire(privateRoom(notebookId, userId)) : undefined;
  try {
    const own = mine && privateDoc(mine.room.doc);
    const notebook = sharedDocToNotebook(shared.room.doc, (cell) => {
      if (choice === 'none') return { outputs: [] as Output[], execution_count: null };
      if (!own || cellScope(cell) === 'shared') return undefined;
      const id = cellId(cell);
      const execution = own.executions.get(id);
      const outputs = own.outputs.get(id);
      if (!execution && !outputs) return undefined;
      return { outputs: outputsToJSON(outputs), execution_count: execution?.execution_count ?? null };
    }, (index) => shared.room.skipped(`cells[${index}]`));
    const { widgets: saved, ...metadata } = notebook.metadata;
    const widgets =
      choice === 'none' ? undefined : widgetStateMetadata(saved, [sharedDoc(shared.room.doc).widgets, ...(own ? [own.widgets] : [])]);
    const withWidgets = { ...notebook, metadata: widgets ? { ...metadata, widgets } : metadata };
    // `mine` is my notebook: my versions of exercise cells and my scratch cells in place.
    return mine ? withMyCells(withWidgets, shared.room.doc, mine.room.doc) : withWidgets;
  } finally {
    shared.release();
    mine?.release();
  }
}
