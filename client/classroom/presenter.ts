// Follow the presenter. The teacher's page puts `presenter: { cellId, scrollTop }` in its awareness
// state; students' pages find the awareness entry of the notebook's owner (the server relays only
// states whose `user.id` is the connection's own user, so that entry cannot be forged) and scroll
// to that cell while following, or mark it and offer a jump when not.
import type { Awareness } from 'y-protocols/awareness';
import type * as Y from 'yjs';
import { cellId as idOf } from '../../shared/schema.ts';
import { sharedDoc } from '../../shared/layout.ts';
import { h } from '../dom.ts';
import type { CellList } from '../notebook/cellList.ts';

export interface PresenterPosition {
  cellId: string;
  scrollTop: number;
}

function isPresenterPosition(value: unknown): value is PresenterPosition {
  if (typeof value !== 'object' || value === null) return false;
  const { cellId, scrollTop } = value as Record<string, unknown>;
  return typeof cellId === 'string' && typeof scrollTop === 'number';
}

/** Space the sticky top bar and notebook header take: a cell under them is not "in view". */
function obscuredTop(): number {
  const header = document.querySelector('.notebook-header');
  return header ? Math.max(0, header.getBoundingClientRect().bottom) : 0;
}

function cellElement(cells: HTMLElement, cellId: string): HTMLElement | null {
  return cells.querySelector<HTMLElement>(`.cell[data-cell-id="${CSS.escape(cellId)}"]`);
}

function inView(element: Element): boolean {
  const rect = element.getBoundingClientRect();
  const top = obscuredTop();
  // A cell taller than the screen is in view when its top is.
  if (rect.height > window.innerHeight - top) return rect.top >= top && rect.top < window.innerHeight;
  return rect.top >= top && rect.bottom <= window.innerHeight;
}

/**
 * The teacher's side: publishes the active cell — the selected one while it is on screen, else
 * the first cell on screen — whenever the selection changes or the page scrolls.
 */
export function broadcastPresenter(awareness: Awareness, list: CellList): { setActive(active: boolean): void; dispose(): void } {
  let active = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const activeCellId = (): string | undefined => {
    const selected = list.selectedId();
    const selectedElement = selected ? cellElement(list.element, selected) : null;
    if (selectedElement && inView(selectedElement)) return selected;
    const top = obscuredTop();
    for (const cell of list.element.querySelectorAll<HTMLElement>('.cell')) {
      if (cell.getBoundingClientRect().bottom > top + 8) return cell.dataset['cellId'];
    }
    return selected;
  };
  const publish = () => {
    timer = undefined;
    if (!active) return;
    const cellId = activeCellId();
    const current: unknown = awareness.getLocalState()?.['presenter'];
    const next = cellId ? { cellId, scrollTop: Math.round(window.scrollY) } : null;
    if (isPresenterPosition(current) && next && current.cellId === next.cellId && Math.abs(current.scrollTop - next.scrollTop) < 40) return;
    awareness.setLocalStateField('presenter', next);
  };
  // Scrolling fires many events; a few updates a second are enough to follow.
  const schedule = () => {
    timer ??= setTimeout(publish, 120);
  };
  const offSelection = list.onSelectionChange(schedule);
  window.addEventListener('scroll', schedule, { passive: true });
  return {
    setActive(next) {
      active = next;
      if (active) publish();
      else awareness.setLocalStateField('presenter', null);
    },
    dispose() {
      offSelection();
      window.removeEventListener('scroll', schedule);
      if (timer) clearTimeout(timer);
    },
  };
}

/** The presenter's position: the most recently updated awareness entry of the owner that has one. */
export function presenterOf(awareness: Awareness, ownerId: string): PresenterPosition | undefined {
  let best: { position: PresenterPosition; at: number } | undefined;
  for (const [clientId, state] of awareness.getStates()) {
    const user = (state as { user?: { id?: unknown } }).user;
    const position = (state as { presenter?: unknown }).presenter;
    if (user?.id !== ownerId || !isPresenterPosition(position)) continue;
    const at = awareness.meta.get(clientId)?.lastUpdated ?? 0;
    if (!best || at > best.at) best = { position, at };
  }
  return best?.position;
}

export interface FollowOptions {
  awareness: Awareness;
  doc: Y.Doc;
  ownerId: string;
  /** The element holding the shared cells (`.cells`). */
  cells: HTMLElement;
}

/**
 * The student's side: a bar with the Follow toggle and where the teacher is. Following scrolls
 * to the presenter's cell when it changes; every page marks that cell.
 */
export function followPresenter(options: FollowOptions): { element: HTMLElement; setActive(active: boolean): void; dispose(): void } {
  const { awareness, doc, ownerId, cells } = options;
  let following = true;
  let active = false;
  let lastCellId: string | undefined;
  let marked: HTMLElement | null = null;

  const toggle = h('button', { class: 'follow-toggle', 'aria-pressed': 'true', title: 'Scroll along with the teacher' }, 'Following');
  const where = h('span', { class: 'presenter-where' });
  const jump = h('button', { class: 'presenter-jump', hidden: true }, 'Jump');
  const element = h('div', { class: 'follow-bar', hidden: true, 'aria-live': 'polite' }, toggle, where, jump);

  const indexOf = (cellId: string) => sharedDoc(doc).cells.toArray().findIndex((cell) => idOf(cell) === cellId);

  const scrollTo = (target: HTMLElement) => {
    const tall = target.getBoundingClientRect().height > window.innerHeight / 2;
    target.scrollIntoView({ block: tall ? 'start' : 'center' });
  };

  const render = (moved: boolean) => {
    element.hidden = !active;
    const position = active ? presenterOf(awareness, ownerId) : undefined;
    const target = position ? cellElement(cells, position.cellId) : null;
    if (marked !== target) {
      marked?.classList.remove('presenter-cell');
      target?.classList.add('presenter-cell');
      marked = target;
    }
    toggle.textContent = following ? 'Following the teacher' : 'Follow the teacher';
    toggle.setAttribute('aria-pressed', String(following));
    toggle.classList.toggle('on', following);
    if (!position || !target) {
      where.textContent = active ? 'Waiting for the teacher…' : '';
      jump.hidden = true;
      return;
    }
    const number = indexOf(position.cellId) + 1;
    element.dataset['cell'] = String(number);
    where.textContent = following ? `at cell ${number}` : `Teacher is at cell ${number}`;
    jump.hidden = following;
    if (following && moved && !inView(target)) scrollTo(target);
  };

  const onAwareness = () => {
    const cellId = active ? presenterOf(awareness, ownerId)?.cellId : undefined;
    const moved = cellId !== lastCellId;
    lastCellId = cellId;
    render(moved);
  };
  // Cell views are rebuilt when cells move or change type: the mark must find the new element.
  const cellArray = sharedDoc(doc).cells;
  const onCells = () => queueMicrotask(() => render(false));
  toggle.addEventListener('click', () => {
    following = !following;
    render(following);
  });
  jump.addEventListener('click', () => {
    if (marked) scrollTo(marked);
  });
  awareness.on('change', onAwareness);
  cellArray.observe(onCells);
  render(false);
  return {
    element,
    setActive(next) {
      active = next;
      lastCellId = undefined;
      onAwareness();
    },
    dispose() {
      awareness.off('change', onAwareness);
      cellArray.unobserve(onCells);
      marked?.classList.remove('presenter-cell');
    },
  };
}
