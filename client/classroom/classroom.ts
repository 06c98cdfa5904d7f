// Wires the live-session parts into an open notebook, by role: the owner gets the panel and
// broadcasts their position; editors see hidden cells; everyone else follows the owner; every
// page shows the spotlight and reacts to the end of the session.
import { api, type NotebookDetails } from '../api.ts';
import { attempt, notify } from '../dom.ts';
import type { CellList } from '../notebook/cellList.ts';
import { canEdit, canManage, type NotebookSession } from '../notebook/session.ts';
import type { AwarenessUser } from '../presence/presenceBar.ts';
import type { DocConnection } from '../sync/connection.ts';
import { hiddenCells } from './hiddenCells.ts';
import { isSessionEnd } from '../../shared/closeCodes.ts';
import { watchLiveSession } from './liveSession.ts';
import { broadcastPresenter, followPresenter } from './presenter.ts';
import { spotlightView } from './spotlight.ts';
import { teacherPanel } from './teacherPanel.ts';

export interface ClassroomParts {
  /** For the notebook header: the panel's toggle (owner) or the follow bar (others). */
  header: HTMLElement[];
  /** Above the cells: the spotlight. */
  beforeCells: HTMLElement[];
  /** Below the cells: the hidden cells (editors and owners). */
  afterCells: HTMLElement[];
  /** Anywhere in the page: the owner's drawer. */
  overlay: HTMLElement[];
  dispose(): void;
}

export interface ClassroomOptions {
  session: NotebookSession;
  details: NotebookDetails;
  list: CellList;
  user: AwarenessUser;
  /** The server closed a connection because the session ended: the page shows the end screen. */
  onSessionEnded(): void;
}

export function mountClassroom(options: ClassroomOptions): ClassroomParts {
  const { session, details, list } = options;
  const doc = session.shared.doc;
  const disposers: (() => void)[] = [];
  const parts: ClassroomParts = { header: [], beforeCells: [], afterCells: [], overlay: [], dispose: () => undefined };
  const isOwner = canManage(session) && session.me.id === details.owner;

  const spotlight = spotlightView(
    doc,
    session.me.id,
    canManage(session) ? () => attempt(() => api.spotlight(session.notebookId, undefined), 'Could not take it off screen') : undefined,
  );
  parts.beforeCells.push(spotlight.element);
  disposers.push(spotlight.dispose);

  const hidden = canEdit(session) ? hiddenCells(session, options.user) : undefined;
  if (hidden) {
    parts.afterCells.push(hidden.element);
    disposers.push(hidden.dispose);
  }

  if (isOwner) {
    const presenter = broadcastPresenter(session.awareness, list);
    const panel = teacherPanel({ notebookId: session.notebookId, doc, list, hidden, onActive: (active) => presenter.setActive(active) });
    parts.header.push(panel.toggle);
    parts.overlay.push(panel.element);
    disposers.push(panel.dispose, presenter.dispose);
  } else {
    const follow = followPresenter({ awareness: session.awareness, doc, ownerId: details.owner, cells: list.element });
    parts.header.push(follow.element);
    disposers.push(follow.dispose);
    let wasActive = false;
    disposers.push(
      watchLiveSession(doc, (state) => {
        follow.setActive(state.active);
        // Members keep the notebook when a session ends (only guests are disconnected): say so.
        if (wasActive && !state.active) notify('The live session has ended.', 'info');
        wasActive = state.active;
      }),
    );
  }

  const watchEnd = (connection: DocConnection) =>
    connection.onChange(() => {
      if (connection.state === 'refused' && isSessionEnd(connection.closedBy)) options.onSessionEnded();
    });
  disposers.push(watchEnd(session.shared), watchEnd(session.private));

  parts.dispose = () => {
    for (const dispose of disposers.splice(0).reverse()) dispose();
  };
  return parts;
}
