// Where things live in Cohort's documents: the name of every root map, and for each scope the
// document and place that hold a kernel's results — a cell's outputs, its execution records, the
// kernel's status, its widgets. Server and client both read the layout from here; nothing else
// names a root map or decides "shared or private" on its own (docs/ARCHITECTURE.md, "Two scopes").
//
// Shared document (room `<notebookId>`): @jupyter/ydoc's YNotebook keys (`meta`, `cells`, `state`),
// so Jupyter tools can read it, plus Cohort's `widgets`, `published`, `executions`, `kernel` and
// `session` (the live class). Private document (room `<notebookId>/user/<userId>`): that user's
// `outputs`, `executions`, `kernel`, `widgets`, `stdin`, and their own code (`exercises`, `scratch`).
import * as Y from 'yjs';
import { privateRoom, sharedRoom } from './rooms.ts';
import type { ExecutionInfo, PublishedOutput, Scope, StdinRequest, YCell, YOutput } from './schema.ts';
import { cellOutputs, findCell, isCellMap } from './schema.ts';

/** Root maps of the shared document. */
export const SHARED_ROOTS = {
  meta: 'meta',
  cells: 'cells',
  /** @jupyter/ydoc's YDocument keeps its document state here. */
  state: 'state',
  widgets: 'widgets',
  published: 'published',
  executions: 'executions',
  kernel: 'kernel',
  session: 'session',
} as const;

/** Root maps of a user's private document. */
export const PRIVATE_ROOTS = {
  outputs: 'outputs',
  executions: 'executions',
  kernel: 'kernel',
  widgets: 'widgets',
  stdin: 'stdin',
  exercises: 'exercises',
  scratch: 'scratch',
} as const;

export function sharedDoc(doc: Y.Doc) {
  return {
    meta: doc.getMap<unknown>(SHARED_ROOTS.meta),
    cells: doc.getArray<YCell>(SHARED_ROOTS.cells),
    /** modelId → widget model (see WidgetModel), for shared-scope widgets. */
    widgets: doc.getMap<Y.Map<unknown>>(SHARED_ROOTS.widgets),
    /** cellId → (userId → PublishedOutput): outputs users chose to publish. */
    published: doc.getMap<Y.Map<PublishedOutput>>(SHARED_ROOTS.published),
    /** Shared-scope runs: cellId → ExecutionInfo, as in the private document. */
    executions: doc.getMap<ExecutionInfo>(SHARED_ROOTS.executions),
    /** The shared kernel: `status` (KernelStatus), `name`, `message`, as in the private document. */
    kernel: doc.getMap<unknown>(SHARED_ROOTS.kernel),
    /** The live class (server/classroom/): `active`, `startedAt`, `spotlight`, `handinsVisible`. */
    session: doc.getMap<unknown>(SHARED_ROOTS.session),
  };
}

export function privateDoc(doc: Y.Doc) {
  return {
    /** cellId → that user's outputs of the cell. */
    outputs: doc.getMap<Y.Array<YOutput>>(PRIVATE_ROOTS.outputs),
    /** cellId → ExecutionInfo (replaced whole on each change). */
    executions: doc.getMap<ExecutionInfo>(PRIVATE_ROOTS.executions),
    /** `status` (KernelStatus), `name` (kernelspec), `message`. */
    kernel: doc.getMap<unknown>(PRIVATE_ROOTS.kernel),
    /** modelId → widget model of that user's kernel. */
    widgets: doc.getMap<Y.Map<unknown>>(PRIVATE_ROOTS.widgets),
    /** `request` → StdinRequest while the kernel waits for input(). */
    stdin: doc.getMap<StdinRequest>(PRIVATE_ROOTS.stdin),
    /** cellId → my copy of an exercise cell (shared/myCells.ts). */
    exercises: doc.getMap<Y.Map<unknown>>(PRIVATE_ROOTS.exercises),
    /** id → my scratch cell (shared/myCells.ts). */
    scratch: doc.getMap<YCell>(PRIVATE_ROOTS.scratch),
  };
}

/** Whose results: the notebook's shared kernel, or one user's (the server's kernel keys have this shape). */
export type ResultsOwner = { notebookId: string; shared: true } | { notebookId: string; userId: string; shared?: false };

export function scopeOf(owner: ResultsOwner): Scope {
  return owner.shared ? 'shared' : 'user';
}

/** The room whose document holds an owner's results: the shared document, or the user's own. */
export function resultsRoom(owner: ResultsOwner): string {
  return owner.shared ? sharedRoom(owner.notebookId) : privateRoom(owner.notebookId, owner.userId);
}

/**
 * A kernel's results in the document of its scope. Shared-scope outputs sit on the cell itself
 * (where Jupyter tools look for them) and its execution count is mirrored there; user-scope
 * outputs sit in the private document's `outputs` map, by cell id.
 */
export interface Results {
  readonly scope: Scope;
  readonly executions: Y.Map<ExecutionInfo>;
  readonly kernel: Y.Map<unknown>;
  readonly widgets: Y.Map<Y.Map<unknown>>;
  /** A cell's outputs, if it has any yet. */
  outputsOf(cellId: string): Y.Array<YOutput> | undefined;
  /** A cell's outputs, made empty if it has none. Throws when a shared cell is gone. Inside a transaction. */
  ensureOutputs(cellId: string): Y.Array<YOutput>;
  /** Every cell's outputs in this document. */
  allOutputs(): Iterable<Y.Array<YOutput>>;
  /** Records a run's state (and, for a shared cell, its execution count on the cell). Inside a transaction. */
  recordExecution(cellId: string, info: ExecutionInfo): void;
}

export function resultsIn(doc: Y.Doc, scope: Scope): Results {
  if (scope === 'shared') {
    const maps = sharedDoc(doc);
    const cellOf = (cellId: string) => findCell(doc, cellId)?.cell;
    return {
      scope,
      executions: maps.executions,
      kernel: maps.kernel,
      widgets: maps.widgets,
      outputsOf: (cellId) => {
        const cell = cellOf(cellId);
        return cell ? cellOutputs(cell) : undefined;
      },
      ensureOutputs(cellId) {
        const cell = cellOf(cellId);
        if (!cell) throw new Error(`cell ${cellId} is gone from the shared document`);
        let outputs = cellOutputs(cell);
        if (!outputs) {
          outputs = new Y.Array<YOutput>();
          cell.set('outputs', outputs);
        }
        return outputs;
      },
      *allOutputs() {
        for (const cell of maps.cells) {
          const outputs = isCellMap(cell) ? cellOutputs(cell) : undefined;
          if (outputs) yield outputs;
        }
      },
      recordExecution(cellId, info) {
        maps.executions.set(cellId, info);
        const cell = info.execution_count !== undefined ? cellOf(cellId) : undefined;
        if (cell && cell.get('execution_count') !== info.execution_count) cell.set('execution_count', info.execution_count);
      },
    };
  }
  const maps = privateDoc(doc);
  return {
    scope,
    executions: maps.executions,
    kernel: maps.kernel,
    widgets: maps.widgets,
    outputsOf: (cellId) => maps.outputs.get(cellId),
    ensureOutputs(cellId) {
      let outputs = maps.outputs.get(cellId);
      if (!outputs) {
        outputs = new Y.Array<YOutput>();
        maps.outputs.set(cellId, outputs);
      }
      return outputs;
    },
    allOutputs: () => maps.outputs.values(),
    recordExecution: (cellId, info) => maps.executions.set(cellId, info),
  };
}
