// The cells of the shared document as cell views, kept in step with `cells`, plus Jupyter's
// two modes: command mode (a cell is selected; a/b/dd/m/y/Enter...) and edit mode (typing).
import type { KeyBinding } from '@codemirror/view';
import type * as Y from 'yjs';
import type { CellType } from '../../shared/nbformat.ts';
import type { YCell } from '../../shared/schema.ts';
import { cellScope, cellType, sharedDoc } from '../../shared/schema.ts';
import { h, placeChildren } from '../dom.ts';
import { createCellView, type CellView } from '../cell/cellView.ts';
import { changeCellType, deleteCell, insertCell, moveCell } from './cellOps.ts';
import { canEdit, canRun, type NotebookSession } from './session.ts';
import type { ScratchCells } from '../scratch/scratchCells.ts';

export interface CellList {
  readonly element: HTMLElement;
  runSelected(advance: boolean): void;
  runAll(): void;
  insert(where: 'above' | 'below', type?: CellType): void;
  setReadOnly(readOnly: boolean): void;
  /** The id of the selected cell (the "current" cell of Jupyter's command mode). */
  selectedId(): string | undefined;
  /** Called whenever the selected cell changes (by click, keys, or edits around it). */
  onSelectionChange(listener: (cellId: string | undefined) => void): () => void;
  dispose(): void;
}

export interface CellListOptions {
  /** What an empty list says; the default invites editors to add a cell. */
  emptyText?: string;
  /** My scratch cells, placed among the shared cells (the notebook's main list only). */
  scratch?: ScratchCells;
}

export function createCellList(session: NotebookSession, options: CellListOptions = {}): CellList {
  const doc = session.shared.doc;
  const cells = sharedDoc(doc).cells;
  const element = h('div', { class: 'cells', tabindex: '-1' });
  let views = new Map<YCell, CellView>();
  let order: CellView[] = [];
  let selected = 0;
  /** The selection follows the cell, not the position, when others insert or delete above it. */
  let selectedId: string | undefined;
  let pendingD = false;
  let readOnlyOverride = false;
  /** After a structural edit, the cell id to select (and whether to edit it) once views exist. */
  let focusAfterSync: { id: string; edit: boolean } | undefined;
  const selectionListeners = new Set<(cellId: string | undefined) => void>();
  let announced: string | undefined;
  const announceSelection = () => {
    if (announced === selectedId) return;
    announced = selectedId;
    for (const listener of selectionListeners) listener(selectedId);
  };

  const indexOf = (view: CellView) => order.indexOf(view);

  function select(index: number, mode: 'command' | 'edit' | 'keep' = 'keep'): void {
    if (order.length === 0) return;
    selected = Math.max(0, Math.min(index, order.length - 1));
    order.forEach((view, i) => view.setSelected(i === selected));
    const view = order[selected];
    if (!view) return;
    selectedId = view.id;
    announceSelection();
    if (mode === 'keep') return; // a remote change must not move my focus or my scroll position
    if (mode === 'edit') view.edit();
    else view.commandMode();
    view.element.scrollIntoView({ block: 'nearest' });
  }

  function runAt(index: number): void {
    const view = order[index];
    if (!view) return;
    if (view.type === 'code') {
      if (canRun(session, cellScope(view.cell))) session.run([view.id]);
    }
  }

  function runSelected(advance: boolean): void {
    const index = selected;
    runAt(index);
    // Running a markdown cell means "render it": leave edit mode before moving on.
    if (order[index]?.type === 'markdown') order[index]?.commandMode();
    if (!advance) {
      select(index, 'command');
      return;
    }
    if (index + 1 >= order.length && canEdit(session)) {
      const cell = insertCell(doc, order.length, 'code');
      focusAfterSync = { id: cell.get('id') as string, edit: true };
      reconcile();
      return;
    }
    const next = order[index + 1];
    // Jupyter moves to the next cell; it enters edit mode there only for cells one can edit.
    select(index + 1, next && canEdit(session) && next.type === 'code' ? 'edit' : 'command');
  }

  function insert(where: 'above' | 'below', type: CellType = 'code'): void {
    if (!canEdit(session)) return;
    const index = order.length === 0 ? 0 : where === 'above' ? selected : selected + 1;
    const cell = insertCell(doc, index, type);
    focusAfterSync = { id: cell.get('id') as string, edit: false };
    reconcile();
  }

  const editKeys = (view: CellView): KeyBinding[] => [
    { key: 'Shift-Enter', run: () => (select(indexOf(view)), runSelected(true), true) },
    { key: 'Mod-Enter', run: () => (select(indexOf(view)), runSelected(false), true) },
    { key: 'Escape', run: () => (select(indexOf(view), 'command'), true) },
  ];

  const actions = {
    select: (view: CellView) => select(indexOf(view)),
    editKeys,
    move: (view: CellView, delta: number) => {
      const from = indexOf(view);
      const moved = moveCell(doc, from, from + delta);
      if (moved) focusAfterSync = { id: view.id, edit: false };
      reconcile();
    },
    remove: (view: CellView) => {
      deleteCell(doc, indexOf(view));
    },
    changeType: (view: CellView, type: CellType) => {
      const replaced = changeCellType(doc, indexOf(view), type);
      if (replaced) focusAfterSync = { id: view.id, edit: false };
      reconcile();
    },
  };

  /** Puts the cells on the page, with my scratch cells between them. */
  function place(): void {
    placeChildren(element, options.scratch ? options.scratch.layout(order) : order.map((view) => view.element));
  }

  function reconcile(): void {
    const next = new Map<YCell, CellView>();
    const nextOrder: CellView[] = [];
    for (const cell of cells) {
      let view = views.get(cell);
      // A cell whose type changed under the same Y.Map (a remote edit of `cell_type`) is rebuilt.
      if (view && view.type !== cellType(cell)) {
        view.dispose();
        view = undefined;
      }
      view ??= createCellView(cell, session, actions);
      if (readOnlyOverride) view.setReadOnly(true);
      next.set(cell, view);
      nextOrder.push(view);
    }
    for (const [cell, view] of views) if (!next.has(cell)) view.dispose();
    views = next;
    order = nextOrder;
    place();
    if (order.length === 0) {
      const text = options.emptyText ?? (canEdit(session) ? 'This notebook is empty. Press “+ Code” to add a cell.' : 'This notebook is empty.');
      if (text) element.append(h('p', { class: 'empty' }, text));
    }
    if (focusAfterSync) {
      const target = focusAfterSync;
      const index = order.findIndex((view) => view.id === target.id);
      focusAfterSync = undefined;
      if (index >= 0) select(index, target.edit ? 'edit' : 'command');
    } else {
      const kept = order.findIndex((view) => view.id === selectedId);
      select(kept >= 0 ? kept : Math.min(selected, order.length - 1));
    }
  }

  // Command mode keys: only when focus is on a cell, not in an editor or a form field.
  const onKey = (event: KeyboardEvent) => {
    const target = event.target as HTMLElement | null;
    if (target?.closest('.cm-editor, input, select, textarea, button, .widget-host')) return;
    const view = order[selected];
    if (!view) return;
    const editable = canEdit(session);
    const key = event.key;
    let handled = true;
    if (key === 'Enter' && event.shiftKey) runSelected(true);
    else if (key === 'Enter' && (event.ctrlKey || event.metaKey)) runSelected(false);
    else if (key === 'Enter') select(selected, 'edit');
    else if (key === 'ArrowUp' || key === 'k') select(selected - 1, 'command');
    else if (key === 'ArrowDown' || key === 'j') select(selected + 1, 'command');
    else if (key === 'a' && editable) insert('above');
    else if (key === 'b' && editable) insert('below');
    else if (key === 'm' && editable) actions.changeType(view, 'markdown');
    else if (key === 'y' && editable) actions.changeType(view, 'code');
    else if (key === 'r' && editable) actions.changeType(view, 'raw');
    else if (key === 'd' && editable) {
      if (pendingD) {
        pendingD = false;
        const index = selected;
        deleteCell(doc, index);
        select(index, 'command');
      } else {
        pendingD = true;
        setTimeout(() => (pendingD = false), 800);
      }
    } else handled = false;
    if (key !== 'd') pendingD = false;
    if (handled) event.preventDefault();
  };
  element.addEventListener('keydown', onKey);

  const observer = (_event: Y.YArrayEvent<YCell>) => reconcile();
  cells.observe(observer);
  const offScratch = options.scratch?.onChange(() => place());
  reconcile();

  return {
    element,
    runSelected,
    runAll() {
      const runnable = order.filter((view) => view.type === 'code' && canRun(session, cellScope(view.cell))).map((view) => view.id);
      if (runnable.length > 0) session.run(runnable);
    },
    insert,
    setReadOnly(readOnly) {
      readOnlyOverride = readOnly;
      for (const view of order) view.setReadOnly(readOnly || !canEdit(session));
      options.scratch?.setReadOnly(readOnly);
    },
    selectedId: () => selectedId,
    onSelectionChange(listener) {
      selectionListeners.add(listener);
      return () => selectionListeners.delete(listener);
    },
    dispose() {
      offScratch?.();
      selectionListeners.clear();
      cells.unobserve(observer);
      element.removeEventListener('keydown', onKey);
      for (const view of order) view.dispose();
    },
  };
}
