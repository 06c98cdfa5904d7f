// The owner's live-session panel, a drawer beside the notebook: start the session and show its
// join code, the roster, progressive reveal, published outputs with the spotlight, and the end of
// the session (keeping or deleting the students' private work).
import type * as Y from 'yjs';
import { api, errorMessage, type LiveSession } from '../api.ts';
import { attempt, h, notify } from '../dom.ts';
import type { CellList } from '../notebook/cellList.ts';
import type { HiddenCells } from './hiddenCells.ts';
import { watchLiveSession, type LiveSessionState } from './liveSession.ts';
import { publishedBoard } from './publishedBoard.ts';
import { handinBoard } from '../exercises/handinBoard.ts';
import { rosterView } from './rosterView.ts';

export interface TeacherPanelOptions {
  notebookId: string;
  doc: Y.Doc;
  list: CellList;
  hidden: HiddenCells | undefined;
  /** Told when the session starts or ends, so the page can broadcast the presenter. */
  onActive(active: boolean): void;
}

export interface TeacherPanel {
  /** The header button that opens and closes the drawer. */
  readonly toggle: HTMLElement;
  readonly element: HTMLElement;
  dispose(): void;
}

export function teacherPanel(options: TeacherPanelOptions): TeacherPanel {
  const { notebookId, doc, list, hidden } = options;
  const disposers: (() => void)[] = [];
  let details: LiveSession = { active: false };
  let live: LiveSessionState = { active: false, startedAt: undefined, spotlight: undefined };
  let open = false;

  const toggle = h('button', { class: 'session-toggle', title: 'Live session: join code, roster, reveal, spotlight' }, 'Live session');
  const closeButton = h('button', { class: 'link panel-close', 'aria-label': 'Close the live-session panel' }, '×');
  const stateSection = h('section', { class: 'session-state' });
  const roster = rosterView(notebookId, doc);
  const board = publishedBoard(notebookId, doc);
  // Hand-ins only the teacher sees, and the session's hand-in option (client/exercises/handinBoard.ts).
  const handins = handinBoard(notebookId, doc);
  disposers.push(roster.dispose, board.dispose, handins.dispose);

  // ---- progressive reveal ----------------------------------------------------------------------
  const hiddenCount = h('span', { class: 'hidden-count' });
  const hideButton = h('button', { class: 'hide-from', title: 'Move the selected cell and every cell after it out of the students’ notebook' }, 'Hide from the current cell');
  const revealButton = h('button', { class: 'reveal-next primary', title: 'Show the next hidden cell to the students' }, 'Reveal next cell');
  const revealAllButton = h('button', { class: 'reveal-all', title: 'Show every hidden cell to the students' }, 'Reveal all');
  const revealSection = h(
    'section',
    { class: 'reveal' },
    h('h3', {}, 'Progressive reveal'),
    h('p', {}, hiddenCount),
    h('div', { class: 'row' }, hideButton, revealButton, revealAllButton),
    h('p', { class: 'hint' }, 'Or press “Reveal up to here” on a hidden cell.'),
  );
  const renderHidden = () => {
    const count = hidden?.count() ?? 0;
    hiddenCount.textContent = `${count} cell${count === 1 ? '' : 's'} hidden from students`;
    hiddenCount.dataset['count'] = String(count);
    revealButton.disabled = count === 0;
    revealAllButton.disabled = count === 0;
    revealAllButton.textContent = count > 1 ? `Reveal all ${count}` : 'Reveal all';
    revealSection.hidden = !(live.active || details.active) && count === 0;
    revealRest.hidden = count === 0;
    revealRestText.textContent = `Also reveal the ${count} hidden cell${count === 1 ? '' : 's'}`;
  };
  if (hidden) disposers.push(hidden.onChange(renderHidden));
  hideButton.addEventListener('click', () => {
    const from = list.selectedId();
    if (!from) {
      notify('Select the first cell to hide, then press “Hide from the current cell”.');
      return;
    }
    attempt(() => api.hideFrom(notebookId, from), 'Could not hide the cells');
  });
  revealButton.addEventListener('click', () => attempt(() => api.reveal(notebookId, 1), 'Could not reveal the next cell'));
  revealAllButton.addEventListener('click', () => attempt(() => api.revealAll(notebookId), 'Could not reveal the cells'));

  // ---- ending ------------------------------------------------------------------------------------
  const endButton = h('button', { class: 'end-session danger' }, 'End session');
  // Cells still hidden at the end would stay hidden from everyone who reopens the notebook.
  const revealRestBox = h('input', { type: 'checkbox', class: 'end-reveal', checked: true });
  const revealRestText = h('span');
  const revealRest = h('label', { class: 'end-reveal-choice', hidden: true }, revealRestBox, revealRestText);
  const endChoice = h(
    'div',
    { class: 'end-choice', hidden: true, role: 'group', 'aria-label': 'End the session' },
    revealRest,
    h('p', {}, 'Students are disconnected and their kernels stop. Their private work (their outputs):'),
    h('button', { class: 'end-keep', onclick: () => end(true) }, 'Keep students’ work'),
    h('button', { class: 'end-delete danger', onclick: () => end(false) }, 'Delete students’ work'),
    h('button', { class: 'link end-cancel', onclick: () => (endChoice.hidden = true) }, 'Cancel'),
  );
  endButton.addEventListener('click', () => (endChoice.hidden = !endChoice.hidden));
  const endSection = h('section', { class: 'session-end' }, endButton, endChoice);
  function end(keepPrivate: boolean): void {
    endChoice.hidden = true;
    const revealTheRest = !revealRest.hidden && revealRestBox.checked;
    attempt(async () => {
      await api.endSession(notebookId, keepPrivate);
      if (revealTheRest) await api.revealAll(notebookId);
      details = { active: false };
      render();
      notify(keepPrivate ? 'Session ended; students’ work was kept.' : 'Session ended; students’ work was deleted.', 'info');
    }, 'Could not end the session');
  }

  const start = () =>
    attempt(async () => {
      const started = await api.startSession(notebookId);
      details = { active: true, ...started };
      render();
    }, 'Could not start the session');

  const copyLink = async (url: string, button: HTMLButtonElement) => {
    try {
      await navigator.clipboard.writeText(url);
      button.textContent = 'Copied';
    } catch (error) {
      // Clipboard access needs a secure context or permission; selecting the text lets one copy by hand.
      notify(`Copy failed (${errorMessage(error)}); select the link and copy it.`);
    }
  };

  let announcedActive: boolean | undefined;
  function render(): void {
    const active = live.active || details.active;
    if (active !== announcedActive) {
      announcedActive = active;
      options.onActive(active);
    }
    toggle.textContent = active ? '● Live session' : 'Live session';
    toggle.classList.toggle('live', active);
    element.dataset['active'] = String(active);
    revealSection.hidden = !active && (hidden?.count() ?? 0) === 0;
    roster.element.hidden = !active;
    board.element.hidden = !active;
    handins.element.hidden = !active;
    endSection.hidden = !active;
    roster.setPolling(open && active);
    if (!active) {
      stateSection.replaceChildren(
        h('p', {}, 'Start a live session to let students join with a code. Each student gets their own kernel; they follow your position in the notebook.'),
        h('button', { class: 'start-session primary', onclick: start }, 'Start live session'),
      );
      return;
    }
    const code = details.code;
    const url = details.joinUrl;
    const copy = h('button', { class: 'copy-link' }, 'Copy link');
    if (url) copy.addEventListener('click', () => attempt(() => copyLink(url, copy), 'Copy failed'));
    stateSection.replaceChildren(
      h('p', { class: 'hint' }, 'Students join at this address with the code:'),
      code ? h('div', { class: 'join-code', 'aria-label': 'Join code' }, code) : h('p', {}, 'Loading the join code…'),
      ...(url ? [h('div', { class: 'join-url' }, h('input', { readonly: true, value: url, 'aria-label': 'Join link', onfocus: (event: Event) => (event.target as HTMLInputElement).select() }), copy)] : []),
    );
  }

  const element = h(
    'aside',
    { class: 'classroom-panel', hidden: true, 'aria-label': 'Live session' },
    h('header', {}, h('h2', {}, 'Live session'), h('span', { class: 'spacer' }), closeButton),
    stateSection,
    roster.element,
    revealSection,
    handins.element,
    board.element,
    endSection,
  );
  const setOpen = (next: boolean) => {
    open = next;
    element.hidden = !open;
    document.body.classList.toggle('with-panel', open);
    toggle.setAttribute('aria-expanded', String(open));
    render();
  };
  toggle.addEventListener('click', () => setOpen(!open));
  closeButton.addEventListener('click', () => setOpen(false));

  let wasActive = false;
  disposers.push(
    watchLiveSession(doc, (state) => {
      live = state;
      // The document says a session runs but this page has no code yet (reload, another tab).
      if (state.active && !details.code) refreshDetails();
      if (!state.active && wasActive) details = { active: false };
      wasActive = state.active;
      render();
    }),
  );
  function refreshDetails(): void {
    api.session(notebookId).then(
      (fetched) => {
        details = fetched;
        render();
      },
      (error: unknown) => notify(`Could not load the live session: ${errorMessage(error)}`),
    );
  }
  refreshDetails();
  renderHidden();
  render();
  return {
    toggle,
    element,
    dispose() {
      document.body.classList.remove('with-panel');
      for (const dispose of disposers.splice(0)) dispose();
    },
  };
}
