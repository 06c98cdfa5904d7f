// My scratch cells in the notebook page: their views, kept in step with my private document's
// `scratch` map, and where they go among the shared cells (shared/myCells.ts placeScratch: after
// the cell they follow, or its nearest surviving predecessor once it is gone). The cell list asks
// `layout` for the page order and re-places when `onChange` fires.
import type * as Y from 'yjs';
import type { ScratchCell, ScratchType } from '../../shared/myCells.ts';
import { createScratchCell, deleteScratchCell, orderAfter, placeScratch, refreshScratchPositions, scratchCells, scratchMap } from '../../shared/myCells.ts';
import { cellId, readableCells } from '../../shared/schema.ts';
import { sharedDoc } from '../../shared/layout.ts';
import { canRun, type NotebookSession } from '../notebook/session.ts';
import { createScratchView, type ScratchView } from './scratchCellView.ts';

export interface ScratchCells {
  /** The page order: each shared cell's element followed by my scratch cells after it. */
  layout(shared: ReadonlyArray<{ id: string; element: HTMLElement }>): HTMLElement[];
  /** Adds a scratch cell right below the shared cell `afterCellId` and puts the cursor in it. */
  addAfter(afterCellId: string): void;
  /** Whether this user may have scratch cells (runners and up, once their private document synced). */
  readonly enabled: boolean;
  onChange(listener: () => void): () => void;
  setReadOnly(readOnly: boolean): void;
  dispose(): void;
}

export function createScratchCells(session: NotebookSession): ScratchCells {
  const map = scratchMap(session.private.doc);
  const views = new Map<string, ScratchView>();
  const listeners = new Set<() => void>();
  let synced = false;
  let disposed = false;
  let readOnly = false;
  let focusNext: string | undefined;

  const actions = {
    addBelow: (scratch: ScratchCell) => add(scratch.after, scratch),
    retype: (scratch: ScratchCell, type: ScratchType) => session.private.doc.transact(() => scratch.cell.set('cell_type', type)),
    remove: (scratch: ScratchCell) => deleteScratchCell(session.private.doc, scratch.id),
  };

  /** A new scratch cell right below the shared cell `after`, or right below one of mine in its place. */
  function add(after: string | null, afterScratch?: ScratchCell): void {
    if (!api.enabled || readOnly) return;
    const slots = placeScratch(session.shared.doc, scratchCells(session.private.doc));
    const slot = afterScratch
      ? slots.find((entries) => entries.some((entry) => entry.id === afterScratch.id))
      : slots[after === null ? 0 : sharedIds().indexOf(after) + 1];
    const created = createScratchCell(session.private.doc, session.shared.doc, {
      after,
      // Below a scratch cell whose shared cell is gone: the same place, not the end.
      ...(afterScratch ? { pos: afterScratch.pos } : {}),
      order: orderAfter(slot ?? [], afterScratch?.id),
    });
    focusNext = created.id;
    sync();
  }

  /** The readable shared cell ids in order: the slots of placeScratch follow them. */
  const sharedIds = () => readableCells(sharedDoc(session.shared.doc).cells).map(cellId);

  /** Builds views for new scratch cells (or retyped ones), drops views of deleted ones. */
  function sync(): void {
    const present = new Map(scratchCells(session.private.doc).map((s) => [s.id, s] as const));
    for (const [id, view] of views) {
      const scratch = present.get(id);
      if (!scratch || scratch.type !== view.type) {
        view.dispose();
        views.delete(id);
      }
    }
    for (const [id, scratch] of present) {
      if (views.has(id)) continue;
      const view = createScratchView(scratch, session, actions);
      if (readOnly) view.setReadOnly(true);
      views.set(id, view);
    }
    for (const listener of listeners) listener();
    if (focusNext) {
      const view = views.get(focusNext);
      focusNext = undefined;
      // Once the list has put it on the page.
      if (view) requestAnimationFrame(() => view.edit());
    }
  }

  // Placement depends on `after`, `pos`, `order` and the type; text edits inside cells do not matter.
  const onScratch = (events: Array<Y.YEvent<Y.AbstractType<unknown>>>) => {
    const structural = events.some((event) => event.target === map || (event.path.length === 1 && (event as Y.YMapEvent<unknown>).keysChanged?.size > 0));
    if (structural) sync();
  };

  // A moved cell has a new Y.Map: positions follow it (refreshScratchPositions), after this turn,
  // not inside the cell list's rendering.
  let refreshQueued = false;
  const onSharedCells = () => {
    if (refreshQueued || !synced || readOnly) return;
    refreshQueued = true;
    queueMicrotask(() => {
      refreshQueued = false;
      if (!disposed && canRun(session, 'user')) refreshScratchPositions(session.private.doc, session.shared.doc);
    });
  };
  const sharedCells = sharedDoc(session.shared.doc).cells;
  sharedCells.observe(onSharedCells);

  const api: ScratchCells = {
    get enabled() {
      return synced && canRun(session, 'user') && !session.runsDisabled;
    },
    layout(shared) {
      if (!synced || views.size === 0) return shared.map((entry) => entry.element);
      const placed = placeScratch(session.shared.doc, scratchCells(session.private.doc));
      // The list's cells are the readable shared cells in order, the slots of placeScratch follow them.
      const ids = sharedIds();
      const elementOf = (slot: ScratchCell[] | undefined) => (slot ?? []).flatMap((s) => (views.get(s.id) ? [views.get(s.id)!.element] : []));
      const out: HTMLElement[] = [...elementOf(placed[0])];
      const slotById = new Map(ids.map((id, index) => [id, index + 1] as const));
      const used = new Set<number>([0]);
      for (const entry of shared) {
        out.push(entry.element);
        const slot = slotById.get(entry.id);
        if (slot !== undefined && !used.has(slot)) {
          used.add(slot);
          out.push(...elementOf(placed[slot]));
        }
      }
      // Whatever the list does not show (never expected): at the end, not lost.
      placed.forEach((slot, index) => {
        if (!used.has(index)) out.push(...elementOf(slot));
      });
      return out;
    },
    addAfter(afterCellId) {
      add(afterCellId);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    setReadOnly(value) {
      readOnly = value;
      for (const view of views.values()) view.setReadOnly(value);
    },
    dispose() {
      disposed = true;
      listeners.clear();
      map.unobserveDeep(onScratch);
      sharedCells.unobserve(onSharedCells);
      for (const view of views.values()) view.dispose();
      views.clear();
    },
  };

  map.observeDeep(onScratch);
  // My scratch cells are known once my private document has synced; until then there are none.
  session.private.synced.then(
    () => {
      if (disposed) return;
      synced = true;
      sync();
      onSharedCells(); // moves made while I was away
    },
    () => undefined,
  );
  return api;
}
