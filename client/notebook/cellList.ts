// The cells of the shared document as cell views, kept in step with `cells`, plus Jupyter's
// two modes: command mode (a cell is selected; a/b/dd/z/c/x/v/m/y/i,i/0,0/Enter...) and edit mode
// (typing). The selected cell is remembered per notebook in this browser, so a reload keeps it.
import type { KeyBinding } from '@codemirror/view';
import type * as Y from 'yjs';
import type { CellType } from '../../shared/nbformat.ts';
import type { YCell } from '../../shared/schema.ts';
import { cellScope, cellToJSON, cellType } from '../../shared/schema.ts';
import { sharedDoc } from '../../shared/layout.ts';
import { api } from '../api.ts';
import { attempt, h, notify, placeChildren } from '../dom.ts';
import { copyCells, DeletionHistory, pastedCells } from './cellClipboard.ts';
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
  /** Keep the selected cell across reloads (the notebook's main list, not the hidden cells). */
  rememberSelection?: boolean;
  /** Extra buttons for a cell's toolbar (the hidden cells' "Reveal up to here"). */
  cellToolbarExtras?(cellId: string): HTMLElement[];
}

/** Two presses of a key within this time make a double-key command (D,D / I,I / 0,0). */
const DOUBLE_KEY_MS = 800;

function selectionKey(notebookId: string): string {
  return `cohort-selected:${notebookId}`;
}

function storedSelection(notebookId: string): string | undefined {
  try {
    return localStorage.getItem(selectionKey(notebookId)) ?? undefined;
  } catch {
    return undefined;
  }
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
  let pendingKey: { key: string; at: number } | undefined;
  const deletions = new DeletionHistory();
  let readOnlyOverride = false;
  /** After a structural edit, the cell id to select (and whether to edit it) once views exist. */
  let focusAfterSync: { id: string; edit: boolean } | undefined;
  const selectionListeners = new Set<(cellId: string | undefined) => void>();
  let announced: string | undefined;
  const announceSelection = () => {
    if (announced === selectedId) return;
    announced = selectedId;
    if (options.rememberSelection && selectedId) {
      try {
        localStorage.setItem(selectionKey(session.notebookId), selectedId);
      } catch {
        // storage blocked: the selection is not kept across reloads, nothing else changes
      }
    }
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

  /** Alt-Enter: run the cell and insert a new one below it, ready to type in. */
  function runAndInsert(): void {
    const index = selected;
    runAt(index);
    if (order[index]?.type === 'markdown') order[index]?.commandMode();
    if (!canEdit(session)) {
      select(index + 1, 'command');
      return;
    }
    const cell = insertCell(doc, index + 1, 'code');
    focusAfterSync = { id: cell.get('id') as string, edit: true };
    reconcile();
  }

  /** Deletes a cell, remembering it for Z. */
  function removeAt(index: number): void {
    const cell = cells.get(index);
    if (!cell) return;
    deletions.remember(index, cellToJSON(cell));
    deleteCell(doc, index);
  }

  function undoDelete(): void {
    const restored = deletions.restore(new Set(order.map((view) => view.id)));
    if (!restored) return;
    const index = Math.min(restored.index, cells.length);
    doc.transact(() => cells.insert(index, [restored.cell]));
    focusAfterSync = { id: restored.cell.get('id') as string, edit: false };
    reconcile();
  }

  function paste(where: 'above' | 'below'): void {
    const pasted = pastedCells();
    if (pasted.length === 0) return;
    const index = order.length === 0 ? 0 : where === 'above' ? selected : selected + 1;
    doc.transact(() => cells.insert(index, pasted));
    focusAfterSync = { id: pasted[pasted.length - 1]!.get('id') as string, edit: false };
    reconcile();
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
    { key: 'Alt-Enter', run: () => (select(indexOf(view)), runAndInsert(), true) },
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
    remove: (view: CellView) => removeAt(indexOf(view)),
    toolbarExtras: (view: CellView) => options.cellToolbarExtras?.(view.id) ?? [],
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

  /** True on the second press of `key` within DOUBLE_KEY_MS (D,D / I,I / 0,0). */
  const secondPress = (key: string): boolean => {
    const now = Date.now();
    const double = pendingKey?.key === key && now - pendingKey.at < DOUBLE_KEY_MS;
    pendingKey = double ? undefined : { key, at: now };
    return double;
  };

  // Command mode keys: only when focus is on a cell, not in an editor or a form field.
  const onKey = (event: KeyboardEvent) => {
    const target = event.target as HTMLElement | null;
    if (target?.closest('.cm-editor, input, select, textarea, button, .widget-host')) return;
    const view = order[selected];
    if (!view) return;
    const key = event.key;
    // Ctrl-C, Cmd-V and friends belong to the browser (copying rendered output text).
    if ((event.ctrlKey || event.metaKey || event.altKey) && key !== 'Enter') return;
    const editable = canEdit(session);
    const runnable = canRun(session, 'user');
    let handled = true;
    if (key === 'Enter' && event.shiftKey) runSelected(true);
    else if (key === 'Enter' && (event.ctrlKey || event.metaKey)) runSelected(false);
    else if (key === 'Enter' && event.altKey) runAndInsert();
    else if (key === 'Enter') select(selected, 'edit');
    else if (key === 'ArrowUp' || key === 'k') select(selected - 1, 'command');
    else if (key === 'ArrowDown' || key === 'j') select(selected + 1, 'command');
    else if (key === 'a' && editable) insert('above');
    else if (key === 'b' && editable) insert('below');
    else if (key === 'm' && editable) actions.changeType(view, 'markdown');
    else if (key === 'y' && editable) actions.changeType(view, 'code');
    else if (key === 'r' && editable) actions.changeType(view, 'raw');
    else if (key === 'c') copyCells([cellToJSON(view.cell)]);
    else if (key === 'x' && editable) {
      copyCells([cellToJSON(view.cell)]);
      removeAt(selected);
      select(selected, 'command');
    } else if (key === 'v' && editable) paste('below');
    else if (key === 'V' && editable) paste('above');
    else if (key === 'z' && editable) undoDelete();
    else if (key === 'd' && editable) {
      if (secondPress('d')) {
        removeAt(selected);
        select(selected, 'command');
      }
    } else if (key === 'i' && runnable) {
      if (secondPress('i')) attempt(() => api.interrupt(session.notebookId), 'Interrupt failed');
    } else if (key === '0' && runnable) {
      if (secondPress('0')) {
        attempt(async () => {
          await api.restart(session.notebookId);
          notify('Kernel restarted: its variables are gone.', 'info');
        }, 'Restart failed');
      }
    } else handled = false;
    if (!['d', 'i', '0'].includes(key)) pendingKey = undefined;
    if (handled) event.preventDefault();
  };
  element.addEventListener('keydown', onKey);

  const observer = (_event: Y.YArrayEvent<YCell>) => reconcile();
  // Read before the first render, which selects the first cell (and so would remember that one).
  const remembered = options.rememberSelection ? storedSelection(session.notebookId) : undefined;
  cells.observe(observer);
  const offScratch = options.scratch?.onChange(() => place());
  reconcile();
  // The remembered selection is restored once the list is on the page (scrolling needs layout).
  const restoreFrame = remembered
    ? requestAnimationFrame(() => {
        const index = order.findIndex((view) => view.id === remembered);
        if (index < 0 || !element.isConnected) return;
        select(index, 'command');
        order[index]?.element.scrollIntoView({ block: 'center' });
      })
    : undefined;

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
      if (restoreFrame !== undefined) cancelAnimationFrame(restoreFrame);
      selectionListeners.clear();
      cells.unobserve(observer);
      element.removeEventListener('keydown', onKey);
      for (const view of order) view.dispose();
    },
  };
}
