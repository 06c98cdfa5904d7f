// A notebook as nbformat JSON, with the outputs a caller asked for:
// `shared` — the shared document's; `mine` — shared-scope cells from the shared document, user-scope
// cells from the caller's private document (falling back to the shared document's saved outputs
// for cells the caller never ran); `none` — no outputs.
import type { Notebook, Output } from '../../shared/nbformat.ts';
import { privateRoom, sharedRoom } from '../../shared/rooms.ts';
import { cellId, cellScope, outputsToJSON, privateDoc, sharedDocToNotebook } from '../../shared/schema.ts';
import type { Rooms } from '../sync/rooms.ts';

export type OutputChoice = 'mine' | 'shared' | 'none';

export async function notebookSnapshot(
  rooms: Rooms,
  notebookId: string,
  choice: OutputChoice,
  userId: string,
): Promise<Notebook> {
  const shared = await rooms.acquire(sharedRoom(notebookId));
  const mine = choice === 'mine' ? await rooms.acquire(privateRoom(notebookId, userId)) : undefined;
  try {
    const own = mine && privateDoc(mine.room.doc);
    return sharedDocToNotebook(shared.room.doc, (cell) => {
      if (choice === 'none') return { outputs: [] as Output[], execution_count: null };
      if (!own || cellScope(cell) === 'shared') return undefined;
      const id = cellId(cell);
      const execution = own.executions.get(id);
      const outputs = own.outputs.get(id);
      if (!execution && !outputs) return undefined;
      return { outputs: outputsToJSON(outputs), execution_count: execution?.execution_count ?? null };
    });
  } finally {
    shared.release();
    mine?.release();
  }
}
