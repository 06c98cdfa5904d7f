// Published outputs per cell, side by side with their authors, each with "Show to class"
// (the spotlight every page shows). Live from the shared document's `published` map.
import type * as Y from 'yjs';
import type { PublishedOutput } from '../../shared/schema.ts';
import { cellId as idOf } from '../../shared/schema.ts';
import { sharedDoc } from '../../shared/layout.ts';
import { api } from '../api.ts';
import { attempt, h } from '../dom.ts';
import { renderOutput } from '../outputs/renderOutput.ts';
import { readLiveSession, sessionMap } from './liveSession.ts';
import { handInPlace, handInSource } from '../exercises/handinBoard.ts';
import { avatar } from '../people/avatar.ts';
import { distinctNames } from '../people/names.ts';

export function publishedBoard(notebookId: string, doc: Y.Doc): { element: HTMLElement; dispose(): void } {
  const { published, cells } = sharedDoc(doc);
  const session = sessionMap(doc);
  const list = h('div', { class: 'published-board-cells' });
  const empty = h('p', { class: 'hint' }, 'Nothing published yet. Students publish an output with the “Publish” button of a cell.');
  const element = h('section', { class: 'published-board' }, h('h3', {}, 'Published outputs'), empty, list);

  const card = (cellId: string, entry: PublishedOutput, onScreen: boolean, shownName: string) =>
    h(
      'article',
      { class: `published-card${onScreen ? ' on-screen' : ''}`, 'data-user': entry.userId, 'data-cell-id': cellId },
      h('header', {}, avatar({ id: entry.userId, name: entry.name }, shownName), h('strong', { class: 'author' }, shownName), h('span', { class: 'when' }, new Date(entry.published_at).toLocaleTimeString())),
      ...handInSource(entry),
      h('div', { class: 'published-outputs' }, ...entry.outputs.map((output) => renderOutput(output))),
      onScreen
        ? h('button', { class: 'spotlight-off', onclick: () => attempt(() => api.spotlight(notebookId, undefined), 'Could not take it off screen') }, 'On screen — take off')
        : h(
            'button',
            { class: 'spotlight-on', onclick: () => attempt(() => api.spotlight(notebookId, { cellId, userId: entry.userId }), 'Could not show it to the class') },
            'Show to class',
          ),
    );

  const render = () => {
    const { spotlight } = readLiveSession(doc);
    const order = cells.toArray().map(idOf);
    const groups: HTMLElement[] = [];
    const ids = [...published.keys()].sort((a, b) => order.indexOf(a) - order.indexOf(b));
    const authors: Array<{ id: string; name: string }> = [];
    published.forEach((entries) => entries.forEach((entry) => authors.push({ id: entry.userId, name: entry.name })));
    const names = distinctNames(authors);
    for (const cellId of ids) {
      const entries = published.get(cellId);
      if (!entries || entries.size === 0) continue;
      const cards: HTMLElement[] = [];
      entries.forEach((entry) => cards.push(card(cellId, entry, spotlight?.cellId === cellId && spotlight.userId === entry.userId, names.get(entry.userId) ?? entry.name)));
      groups.push(
        h('div', { class: 'published-group', 'data-cell-id': cellId }, h('h4', {}, handInPlace(cellId, [...entries.values()][0], doc)), h('div', { class: 'published-row' }, ...cards)),
      );
    }
    list.replaceChildren(...groups);
    empty.hidden = groups.length > 0;
  };
  const onPublished = () => render();
  published.observeDeep(onPublished);
  session.observe(render);
  render();
  return {
    element,
    dispose() {
      published.unobserveDeep(onPublished);
      session.unobserve(render);
    },
  };
}
