// The published output the teacher put "on screen": an overlay pinned to the bottom of every
// page's viewport while the session map's `spotlight` names one, so a student sees it wherever
// they are scrolled. A student may tuck it away; the next output put on screen shows again.
import type * as Y from 'yjs';
import { cellId as idOf } from '../../shared/schema.ts';
import { sharedDoc } from '../../shared/layout.ts';
import { h } from '../dom.ts';
import { renderOutput } from '../outputs/renderOutput.ts';
import { readLiveSession, sessionMap } from './liveSession.ts';
import { handInSource } from '../exercises/handinBoard.ts';

export function spotlightView(doc: Y.Doc, selfId: string, onClear?: () => void): { element: HTMLElement; dispose(): void } {
  const element = h('section', { class: 'spotlight', hidden: true, 'aria-live': 'polite' });
  const { published, cells } = sharedDoc(doc);
  const session = sessionMap(doc);
  /** The spotlight this page tucked away (`cellId/userId`), until another one is shown. */
  let dismissed: string | undefined;

  const render = () => {
    const { active, spotlight } = readLiveSession(doc);
    const entry = active && spotlight ? published.get(spotlight.cellId)?.get(spotlight.userId) : undefined;
    const key = spotlight ? `${spotlight.cellId}/${spotlight.userId}` : undefined;
    if (!spotlight || !entry || key === dismissed) {
      element.hidden = true;
      element.replaceChildren();
      return;
    }
    const number = cells.toArray().findIndex((cell) => idOf(cell) === spotlight.cellId) + 1;
    const author = entry.userId === selfId ? 'Your' : `${entry.name}’s`;
    element.hidden = false;
    element.dataset['cellId'] = spotlight.cellId;
    element.dataset['userId'] = spotlight.userId;
    element.replaceChildren(
      h(
        'header',
        {},
        h('span', { class: 'spotlight-title' }, `On screen: ${author} output${number > 0 ? ` of cell ${number}` : ''}`),
        h('span', { class: 'spacer' }),
        onClear
          ? h('button', { class: 'spotlight-clear', onclick: onClear }, 'Take off screen')
          : h(
              'button',
              {
                class: 'spotlight-dismiss',
                title: 'Hide it on your screen; the next output your teacher shows will appear',
                onclick: () => {
                  dismissed = key;
                  render();
                },
              },
              'Hide',
            ),
      ),
      ...handInSource(entry),
      h('div', { class: 'spotlight-outputs' }, ...entry.outputs.map((output) => renderOutput(output))),
    );
  };
  const onPublished = () => render();
  session.observe(render);
  published.observeDeep(onPublished);
  render();
  return {
    element,
    dispose() {
      session.unobserve(render);
      published.unobserveDeep(onPublished);
    },
  };
}
