// The teacher's hand-ins: exercise and scratch cells students handed in to the teacher only,
// read from the hand-ins document (room `<notebookId>/handins`, which editors and owners may read
// and only the server writes) — each with the student's source and output, and "Show to class".
// Above them, the session's hand-in controls: whether hand-ins go to the class, and clearing them.
import type * as Y from 'yjs';
import type { HandIn } from '../../shared/handins.ts';
import { handinsVisible, isHandIn, publishedMap } from '../../shared/handins.ts';
import { handinsRoom } from '../../shared/rooms.ts';
import { cellId as idOf } from '../../shared/schema.ts';
import { sharedDoc } from '../../shared/layout.ts';
import { api } from '../api.ts';
import { attempt, h, notify } from '../dom.ts';
import { renderOutput } from '../outputs/renderOutput.ts';
import { connectDoc } from '../sync/connection.ts';
import { readLiveSession, sessionMap } from '../classroom/liveSession.ts';

/** The source part of a hand-in's card (nothing for a published output). Text only: it is a student's. */
export function handInSource(entry: unknown): HTMLElement[] {
  if (!isHandIn(entry)) return [];
  return [h('pre', { class: 'handin-source', 'aria-label': `${entry.name}’s source` }, entry.source)];
}

/** "Cell 3", or "Own cell after cell 3" for a scratch cell, by the shared document's order. */
export function handInPlace(cellId: string, entry: unknown, shared: Y.Doc): string {
  const order = sharedDoc(shared).cells.toArray().map(idOf);
  if (isHandIn(entry) && entry.kind === 'scratch') {
    const after = entry.after ? order.indexOf(entry.after) + 1 : 0;
    return after > 0 ? `Own cell after cell ${after}` : 'Own cell';
  }
  const number = order.indexOf(cellId) + 1;
  return number > 0 ? `Cell ${number}` : 'A cell no longer shown';
}

export function handinBoard(notebookId: string, shared: Y.Doc): { element: HTMLElement; dispose(): void } {
  const connection = connectDoc(handinsRoom(notebookId));
  const published = publishedMap(connection.doc);
  const session = sessionMap(shared);

  const visible = h('input', { type: 'checkbox', class: 'handins-visible' });
  visible.addEventListener('change', () =>
    attempt(async () => {
      await api.sessionOptions(notebookId, { handinsVisible: visible.checked });
      notify(visible.checked ? 'Hand-ins now go to the whole class' : 'Hand-ins now go to you only', 'info');
    }, 'Could not change the option'),
  );
  const clear = h('button', { class: 'clear-handins danger', title: 'Remove every hand-in and published output, and take the spotlight off' }, 'Clear hand-ins');
  clear.addEventListener('click', () =>
    attempt(async () => {
      await api.clearHandins(notebookId);
      notify('Hand-ins cleared', 'info');
    }, 'Could not clear the hand-ins'),
  );
  const list = h('div', { class: 'handin-cells' });
  const empty = h('p', { class: 'hint' }, 'No hand-ins yet. Students hand in an exercise or a cell of their own with its “Hand in” button.');
  const element = h(
    'section',
    { class: 'handin-board' },
    h('h3', {}, 'Hand-ins — only you see them'),
    h('label', { class: 'handins-option' }, visible, ' Hand-ins go to the whole class'),
    empty,
    list,
    clear,
  );

  const card = (cellId: string, entry: HandIn, earlier: boolean) =>
    h(
      'article',
      { class: `handin-card${earlier ? ' earlier' : ''}`, 'data-user': entry.userId, 'data-cell-id': cellId },
      h(
        'header',
        {},
        h('strong', { class: 'author' }, entry.name),
        h('span', { class: 'when' }, `${earlier ? 'earlier session, ' : ''}${new Date(entry.published_at).toLocaleTimeString()}`),
      ),
      ...handInSource(entry),
      h('div', { class: 'published-outputs' }, ...entry.outputs.map((output) => renderOutput(output))),
      h(
        'button',
        { class: 'spotlight-on', onclick: () => attempt(() => api.spotlight(notebookId, { cellId, userId: entry.userId }), 'Could not show it to the class') },
        'Show to class',
      ),
    );

  const render = () => {
    visible.checked = handinsVisible(shared);
    const { active, startedAt } = readLiveSession(shared);
    const order = sharedDoc(shared).cells.toArray().map(idOf);
    const groups: HTMLElement[] = [];
    const ids = [...published.keys()].sort((a, b) => order.indexOf(a) - order.indexOf(b));
    for (const cellId of ids) {
      const cards: HTMLElement[] = [];
      let first: unknown;
      published.get(cellId)?.forEach((entry) => {
        if (!isHandIn(entry)) return;
        first ??= entry;
        cards.push(card(cellId, entry, active && entry.session !== undefined && entry.session !== startedAt));
      });
      if (cards.length === 0) continue;
      groups.push(h('div', { class: 'handin-group', 'data-cell-id': cellId }, h('h4', {}, handInPlace(cellId, first, shared)), h('div', { class: 'published-row' }, ...cards)));
    }
    list.replaceChildren(...groups);
    empty.hidden = groups.length > 0;
  };
  const onPublished = () => render();
  published.observeDeep(onPublished);
  session.observe(render);
  const offRefused = connection.onChange(() => {
    if (connection.state === 'refused') element.hidden = true;
  });
  render();
  return {
    element,
    dispose() {
      offRefused();
      published.unobserveDeep(onPublished);
      session.unobserve(render);
      connection.destroy();
    },
  };
}
