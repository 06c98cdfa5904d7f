// The teacher's view of cells hidden from students: a second cell list over the hidden room
// (`<notebookId>/hidden`, same schema as the shared document), greyed, below a "hidden from
// students" mark, each with "Reveal up to here". Only editors and owners may open that room, so
// runners never receive them.
import { sharedDoc } from '../../shared/layout.ts';
import { api } from '../api.ts';
import { attempt, h } from '../dom.ts';
import { createCellList, type CellList } from '../notebook/cellList.ts';
import type { NotebookSession } from '../notebook/session.ts';
import { connectDoc, type DocConnection } from '../sync/connection.ts';
import type { AwarenessUser } from '../presence/presenceBar.ts';
import { hiddenRoom } from '../../shared/rooms.ts';

export interface HiddenCells {
  readonly element: HTMLElement;
  /** How many cells are hidden now (0 until the room synced). */
  count(): number;
  onChange(listener: () => void): () => void;
  dispose(): void;
}

export function hiddenCells(session: NotebookSession, user: AwarenessUser): HiddenCells {
  const connection: DocConnection = connectDoc(hiddenRoom(session.notebookId));
  // Cursors in hidden cells go to the hidden room's awareness, which students never join.
  const awareness = connection.provider.awareness;
  awareness.setLocalStateField('user', user);
  const cells = sharedDoc(connection.doc).cells;
  const mark = h('div', { class: 'hidden-mark' });
  const element = h('section', { class: 'hidden-cells', hidden: true }, mark);
  const listeners = new Set<() => void>();
  let list: CellList | undefined;
  let disposed = false;

  const render = () => {
    const count = list ? cells.length : 0;
    element.hidden = count === 0;
    mark.textContent = `Hidden from students — ${count} cell${count === 1 ? '' : 's'} (reveal them from the live-session panel)`;
    for (const listener of listeners) listener();
  };
  cells.observe(render);
  const offRefused = connection.onChange(() => {
    // A server without hidden rooms (or a role that may not open them) refuses: nothing to show.
    if (connection.state === 'refused') console.warn(`hidden cells unavailable (room ${hiddenRoom(session.notebookId)}): ${connection.refusal}`);
  });
  connection.synced.then(
    () => {
      if (disposed) return;
      const hiddenSession: NotebookSession = { ...session, shared: connection, awareness, runsDisabled: true };
      list = createCellList(hiddenSession, {
        emptyText: '',
        cellToolbarExtras: (cellId) => [
          h(
            'button',
            {
              type: 'button',
              class: 'reveal-through',
              title: 'Show the students every hidden cell down to this one',
              onclick: () => attempt(() => api.revealThrough(session.notebookId, cellId), 'Could not reveal the cells'),
            },
            'Reveal up to here',
          ),
        ],
      });
      element.append(list.element);
      render();
    },
    (error: unknown) => console.error('hidden cells: first sync failed', error),
  );
  return {
    element,
    count: () => (list ? cells.length : 0),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      disposed = true;
      listeners.clear();
      cells.unobserve(render);
      offRefused();
      list?.dispose();
      connection.destroy();
    },
  };
}
