// A box for outputs that may be long. Short outputs show as they are; once the content is taller
// than the box allows, it scrolls inside the box (so 100,000 printed lines do not make the page a
// million pixels tall) and a bar offers "Show all" and "Collapse". The server's truncation notice
// is put first by the output area, so it is the first thing seen at the top of the box.
import { h } from '../dom.ts';

/** Taller than this (CSS pixels) counts as long; the box then shows this much. */
export const LONG_OUTPUT_PX = 480;

export interface LongOutputBox {
  readonly element: HTMLElement;
  dispose(): void;
}

export function longOutputBox(content: HTMLElement): LongOutputBox {
  const scroller = h('div', { class: 'output-scroll' }, content);
  const info = h('span', { class: 'output-box-info' });
  const expand = h('button', { type: 'button', class: 'link output-expand' }, 'Show all');
  const collapse = h('button', { type: 'button', class: 'link output-collapse' }, 'Collapse');
  const bar = h('div', { class: 'output-box-bar', hidden: true }, info, expand, collapse);
  const element = h('div', { class: 'output-box' }, bar, scroller);
  let long = false;
  let state: 'boxed' | 'expanded' | 'collapsed' = 'boxed';

  const render = () => {
    bar.hidden = !long && state !== 'collapsed';
    element.dataset['state'] = long || state === 'collapsed' ? state : 'short';
    element.classList.toggle('long', long && state === 'boxed');
    scroller.hidden = state === 'collapsed';
    const lines = content.textContent?.split('\n').length ?? 0;
    info.textContent =
      state === 'collapsed' ? `Output collapsed (${lines.toLocaleString()} lines)` : state === 'expanded' ? 'Long output, shown in full' : 'Long output — scroll inside the box';
    expand.textContent = state === 'collapsed' ? 'Show' : 'Show all';
    expand.hidden = state === 'expanded';
    collapse.textContent = state === 'expanded' ? 'Back to the box' : 'Collapse';
    collapse.hidden = state === 'collapsed';
  };
  expand.addEventListener('click', () => {
    state = state === 'collapsed' ? 'boxed' : 'expanded';
    render();
  });
  collapse.addEventListener('click', () => {
    state = state === 'expanded' ? 'boxed' : 'collapsed';
    render();
  });

  // The content's own height (it is never constrained; the scroller is).
  const observer = new ResizeObserver(() => {
    const isLong = content.offsetHeight > LONG_OUTPUT_PX;
    if (isLong === long) return;
    long = isLong;
    if (!long && state === 'expanded') state = 'boxed';
    render();
  });
  observer.observe(content);
  render();
  return { element, dispose: () => observer.disconnect() };
}
