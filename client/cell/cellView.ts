// One cell: prompt column, toolbar (run, scope, type, move, delete, publish), CodeMirror editor
// bound to the cell's Y.Text, rendered markdown when not editing, outputs and input() prompt.
import type { KeyBinding } from '@codemirror/view';
import type * as Y from 'yjs';
import type { CellType } from '../../shared/nbformat.ts';
import type { YCell } from '../../shared/schema.ts';
import { cellId, cellScope, cellSource, cellType, setCellScope } from '../../shared/schema.ts';
import { api } from '../api.ts';
import { attempt, h, notify } from '../dom.ts';
import { renderMarkdown } from '../outputs/markdown.ts';
import { canEdit, canManage, canRun, type NotebookSession } from '../notebook/session.ts';
import type { CellEditor } from './editor.ts';
import { cellEditorFor } from '../exercises/exerciseEditor.ts';
import { myCellParts, publishedMessage } from '../exercises/cellParts.ts';
import { executionBadge } from './executionBadge.ts';
import { cellOutputsView } from './cellOutputs.ts';
import { stdinPrompt } from './stdinPrompt.ts';

export interface CellActions {
  select(view: CellView): void;
  /** Edit-mode keys for this cell's editor (they need the cell's position in the notebook). */
  editKeys(view: CellView): KeyBinding[];
  move(view: CellView, delta: number): void;
  remove(view: CellView): void;
  changeType(view: CellView, type: CellType): void;
  /** Buttons the list adds to this cell's toolbar (e.g. "Reveal up to here" on hidden cells). */
  toolbarExtras(view: CellView): HTMLElement[];
}

export interface CellView {
  readonly cell: YCell;
  readonly id: string;
  readonly element: HTMLElement;
  readonly type: CellType;
  setSelected(selected: boolean): void;
  /** Edit mode: the editor has focus (markdown shows its source). */
  edit(): void;
  /** Leaves edit mode; markdown is rendered again. */
  commandMode(): void;
  isEditing(): boolean;
  setReadOnly(readOnly: boolean): void;
  dispose(): void;
}

export function createCellView(cell: YCell, session: NotebookSession, actions: CellActions): CellView {
  const id = cellId(cell);
  const type = cellType(cell);
  const disposers: (() => void)[] = [];
  const editable = canEdit(session);
  const doc = session.shared.doc;

  const editorHost = h('div', { class: 'editor' });
  const rendered = h('div', { class: 'rendered-markdown', hidden: true, title: 'Double-click to edit' });
  const toolbar = h('div', { class: 'cell-toolbar' });
  const gutter = h('div', { class: 'gutter' });
  const body = h('div', { class: 'cell-body' }, toolbar, editorHost, rendered);
  const element = h('div', { class: `cell cell-${type}`, 'data-cell-id': id, 'data-cell-type': type, tabindex: '-1' }, gutter, body);
  let editing = false;

  // A forward reference: the editor's keys need the finished view object, made before it.
  // eslint-disable-next-line prefer-const -- assigned once, below, after `view` it refers to
  let editor: CellEditor | undefined;
  const view: CellView = {
    cell,
    id,
    element,
    type,
    setSelected(selected) {
      element.classList.toggle('selected', selected);
    },
    edit() {
      if (type === 'markdown') {
        editing = true;
        showMarkdown();
      }
      element.classList.add('editing');
      editor?.focus();
    },
    commandMode() {
      editing = false;
      element.classList.remove('editing');
      if (type === 'markdown') showMarkdown();
      element.focus({ preventScroll: true });
    },
    isEditing: () => element.classList.contains('editing'),
    setReadOnly(readOnly) {
      editor?.setReadOnly(readOnly);
    },
    dispose() {
      for (const dispose of disposers.splice(0)) dispose();
      editor?.destroy();
      element.remove();
    },
  };

  // A student's editor of an exercise cell edits their own copy (client/exercises/exerciseEditor.ts).
  editor = cellEditorFor(cell, session, editorHost, {
    awareness: session.awareness,
    cellType: type,
    readOnly: !editable,
    keys: actions.editKeys(view),
    onFocus: () => {
      element.classList.add('editing');
      actions.select(view);
    },
  });
  element.addEventListener('focusout', (event) => {
    if (!element.contains(event.relatedTarget as Node | null)) element.classList.remove('editing');
  });
  element.addEventListener('mousedown', () => actions.select(view));

  // ---- markdown rendering --------------------------------------------------------------------
  function showMarkdown(): void {
    if (type !== 'markdown') return;
    const source = cellSource(cell).toString();
    const showRendered = !editing && source.trim() !== '';
    rendered.hidden = !showRendered;
    editorHost.hidden = showRendered;
    if (showRendered) rendered.replaceChildren(renderMarkdown(source));
  }
  if (type === 'markdown') {
    rendered.addEventListener('dblclick', () => {
      if (editable) view.edit();
    });
    const onSource = () => {
      if (!editing) showMarkdown();
    };
    // Kept: a deleted cell's Y.Map no longer answers get(), but its observers must still go.
    const source = cellSource(cell);
    source.observe(onSource);
    disposers.push(() => source.unobserve(onSource));
    showMarkdown();
  }

  // ---- toolbar ---------------------------------------------------------------------------------
  const typeSelect = h('select', { class: 'cell-type', 'aria-label': 'Cell type', disabled: !editable },
    h('option', { value: 'code' }, 'Code'), h('option', { value: 'markdown' }, 'Markdown'), h('option', { value: 'raw' }, 'Raw'));
  typeSelect.value = type;
  typeSelect.addEventListener('change', () => actions.changeType(view, typeSelect.value as CellType));

  if (type === 'code') {
    const badge = executionBadge(cell, session.private.doc);
    gutter.append(badge.element);
    disposers.push(badge.dispose);

    const runButton = h('button', { class: 'run', title: 'Run (Shift-Enter)', 'aria-label': 'Run cell' }, '▶');
    runButton.addEventListener('click', () => session.run([id]));
    const scopeBadge = h('button', { class: 'scope' });
    const publishButton = h('button', { class: 'publish', title: 'Copy my output of this cell into the shared notebook' }, 'Publish');
    publishButton.addEventListener('click', () =>
      attempt(async () => {
        notify(publishedMessage(await api.publish(session.notebookId, id)), 'info');
      }, 'Could not publish'),
    );
    const renderScope = () => {
      const scope = cellScope(cell);
      scopeBadge.textContent = scope === 'shared' ? 'shared' : 'mine';
      scopeBadge.className = `scope scope-${scope}`;
      scopeBadge.disabled = !canManage(session);
      scopeBadge.title = scope === 'shared'
        ? 'Runs in the shared kernel; everyone sees the outputs' + (canManage(session) ? ' (click to make it private)' : '')
        : 'Runs in your own kernel; only you see the outputs' + (canManage(session) ? ' (click to share)' : '');
      runButton.disabled = !canRun(session, scope);
      publishButton.hidden = scope === 'shared' || !canRun(session, 'user');
    };
    scopeBadge.addEventListener('click', () => {
      if (!canManage(session)) return;
      doc.transact(() => setCellScope(cell, cellScope(cell) === 'shared' ? 'user' : 'shared'));
    });
    const metadata = cell.get('metadata') as Y.Map<unknown>;
    metadata.observe(renderScope);
    disposers.push(() => metadata.unobserve(renderScope));
    renderScope();
    toolbar.append(runButton, scopeBadge, publishButton);
  }
  // My own work around this cell: exercise parts, "+ My cell" (client/exercises/cellParts.ts).
  const mine = myCellParts(cell, session, toolbar.querySelector<HTMLButtonElement>('button.publish'));
  body.insertBefore(mine.banner, editorHost);
  disposers.push(mine.dispose);
  toolbar.append(...mine.toolbar, h('span', { class: 'spacer' }), ...actions.toolbarExtras(view), typeSelect);
  if (editable) {
    toolbar.append(
      h('button', { class: 'move-up', title: 'Move up', 'aria-label': 'Move cell up', onclick: () => actions.move(view, -1) }, '↑'),
      h('button', { class: 'move-down', title: 'Move down', 'aria-label': 'Move cell down', onclick: () => actions.move(view, 1) }, '↓'),
      h('button', { class: 'delete', title: 'Delete cell', 'aria-label': 'Delete cell', onclick: () => actions.remove(view) }, '✕'),
    );
  }

  // ---- outputs and input() -------------------------------------------------------------------
  if (type === 'code') {
    const outputs = cellOutputsView(cell, session);
    const stdin = stdinPrompt(session.notebookId, id, session.private.doc);
    body.append(outputs.element, stdin.element);
    disposers.push(outputs.dispose, stdin.dispose);
  }
  return view;
}
