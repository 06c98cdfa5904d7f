// What a document's parts hold, used by both server and client: cells (the keys of @jupyter/ydoc's
// YNotebook cell: id, cell_type, source: Y.Text, metadata: Y.Map, execution_count, outputs,
// attachments), outputs, execution records, widget models, and their nbformat conversions. Where
// each part lives (which document, which root map) is shared/layout.ts's; see docs/ARCHITECTURE.md.
//
// Outputs are stored as @jupyter/ydoc stores them: one Y.Map per output, a stream's `text` as a
// Y.Text so streaming appends are small updates.
import * as Y from 'yjs';
import type { Cell, CellType, JSONObject, JSONValue, Notebook, Output } from './nbformat.ts';
import { joinMultiline } from './nbformat.ts';
import { sharedDoc } from './layout.ts';

export const NBFORMAT = 4;
export const NBFORMAT_MINOR = 5;

export type Scope = 'user' | 'shared';
export const SCOPES: readonly Scope[] = ['user', 'shared'];

// ---- shared document -------------------------------------------------------------------------

export type YCell = Y.Map<unknown>;
export type YOutput = Y.Map<unknown>;

export interface PublishedOutput {
  userId: string;
  name: string;
  outputs: Output[];
  published_at: number;
}

export function cellId(cell: YCell): string {
  return cell.get('id') as string;
}

export function cellType(cell: YCell): CellType {
  return cell.get('cell_type') as CellType;
}

export function cellSource(cell: YCell): Y.Text {
  return cell.get('source') as Y.Text;
}

export function cellMetadata(cell: YCell): Y.Map<unknown> {
  return cell.get('metadata') as Y.Map<unknown>;
}

/** A code cell's outputs array (a cell map may hold anything a client wrote: only an array counts). */
export function cellOutputs(cell: YCell): Y.Array<YOutput> | undefined {
  const outputs = cell.get('outputs');
  return outputs instanceof Y.Array ? (outputs as Y.Array<YOutput>) : undefined;
}

/** A code cell's scope: `metadata.cohort.scope`, `user` when absent or unknown. */
export function cellScope(cell: YCell): Scope {
  const metadata = cellMetadata(cell);
  const cohort = (metadata instanceof Y.Map ? metadata.get('cohort') : undefined) as { scope?: unknown } | undefined;
  return cohort?.scope === 'shared' ? 'shared' : 'user';
}

/**
 * Whether an entry of `cells` is a cell readers can use: a Y.Map with a string id and cell type
 * and a Y.Text source. The server refuses anything else (server/sync/schemaGuard.ts) and removes
 * it on load; readers skip what is left anyway, so one bad entry cannot fail a read for everyone.
 */
export function isCellMap(value: unknown): value is YCell {
  return (
    value instanceof Y.Map &&
    typeof value.get('id') === 'string' &&
    typeof value.get('cell_type') === 'string' &&
    value.get('source') instanceof Y.Text
  );
}

/** The usable cells of a document's `cells`; `onSkip` hears of each entry that is not one. */
export function readableCells(cells: Y.Array<YCell>, onSkip?: (index: number) => void): YCell[] {
  const readable: YCell[] = [];
  cells.forEach((cell, index) => {
    if (isCellMap(cell)) readable.push(cell);
    else onSkip?.(index);
  });
  return readable;
}

export function setCellScope(cell: YCell, scope: Scope): void {
  const metadata = cellMetadata(cell);
  const cohort = (metadata.get('cohort') as JSONObject | undefined) ?? {};
  metadata.set('cohort', { ...cohort, scope });
}

export function findCell(doc: Y.Doc, id: string): { cell: YCell; index: number } | undefined {
  const cells = sharedDoc(doc).cells;
  for (let index = 0; index < cells.length; index++) {
    const cell = cells.get(index);
    if (isCellMap(cell) && cellId(cell) === id) return { cell, index };
  }
  return undefined;
}

export function newCellId(): string {
  // nbformat 4.5 cell ids: 1-64 chars of [a-zA-Z0-9-_]; a UUID without dashes is what Jupyter uses.
  return globalThis.crypto.randomUUID().replace(/-/g, '').slice(0, 16);
}

/** Builds the Y.Map of one cell, as @jupyter/ydoc's createCell does. */
export function createCellMap(cell: Partial<Cell> & { cell_type: CellType }): YCell {
  const ymap = new Y.Map<unknown>();
  const source = new Y.Text();
  source.insert(0, joinMultiline(cell.source));
  const metadata = new Y.Map<unknown>();
  for (const [key, value] of Object.entries(cell.metadata ?? {})) metadata.set(key, value);
  ymap.set('source', source);
  ymap.set('metadata', metadata);
  ymap.set('cell_type', cell.cell_type);
  ymap.set('id', cell.id ?? newCellId());
  if (cell.cell_type === 'code') {
    const outputs = new Y.Array<YOutput>();
    outputs.insert(0, ('outputs' in cell && cell.outputs ? cell.outputs : []).map(outputToYMap));
    ymap.set('outputs', outputs);
    ymap.set('execution_count', 'execution_count' in cell ? cell.execution_count ?? null : null);
  } else if ('attachments' in cell && cell.attachments) {
    ymap.set('attachments', cell.attachments);
  }
  return ymap;
}

export function outputToYMap(output: Output): YOutput {
  const ymap = new Y.Map<unknown>();
  for (const [key, value] of Object.entries(output)) {
    if (output.output_type === 'stream' && key === 'text') {
      ymap.set('text', new Y.Text(joinMultiline(value as string | string[])));
    } else {
      ymap.set(key, value);
    }
  }
  return ymap;
}

export function outputFromYMap(ymap: YOutput): Output {
  const json = ymap.toJSON() as Output; // Y.Text.toJSON() gives its string
  return json;
}

/** Outputs as nbformat JSON; an entry that is not an output map is skipped. */
export function outputsToJSON(outputs: Y.Array<YOutput> | undefined): Output[] {
  if (!(outputs instanceof Y.Array)) return [];
  return outputs.toArray().flatMap((output) => (output instanceof Y.Map ? [outputFromYMap(output)] : []));
}

export function cellToJSON(cell: YCell, outputs?: Output[]): Cell {
  const type = cellType(cell);
  const metadata: unknown = cellMetadata(cell);
  const base = {
    id: cellId(cell),
    source: cellSource(cell).toString(),
    metadata: metadata instanceof Y.Map ? metadata.toJSON() : {},
  };
  if (type === 'code') {
    return {
      ...base,
      cell_type: 'code',
      execution_count: (cell.get('execution_count') as number | null | undefined) ?? null,
      outputs: outputs ?? outputsToJSON(cellOutputs(cell)),
    };
  }
  const attachments = cell.get('attachments') as JSONObject | undefined;
  return { ...base, cell_type: type, ...(attachments ? { attachments } : {}) };
}

/** Fills an empty document from an nbformat 4 notebook. */
export function initSharedDoc(doc: Y.Doc, notebook: Notebook): void {
  const { meta, cells } = sharedDoc(doc);
  doc.transact(() => {
    meta.set('nbformat', NBFORMAT);
    meta.set('nbformat_minor', NBFORMAT_MINOR);
    const metadata = new Y.Map<unknown>();
    for (const [key, value] of Object.entries(notebook.metadata ?? {})) metadata.set(key, value);
    meta.set('metadata', metadata);
    cells.insert(0, notebook.cells.map((cell) => createCellMap(cell)));
  });
}

export function notebookMetadata(doc: Y.Doc): JSONObject {
  const metadata = sharedDoc(doc).meta.get('metadata');
  return metadata instanceof Y.Map ? metadata.toJSON() : ((metadata as JSONObject) ?? {});
}

/**
 * The shared document as nbformat 4.5. `outputsFor` picks a code cell's outputs (e.g. the caller's
 * own outputs for user-scope cells); by default the shared document's.
 */
export function sharedDocToNotebook(
  doc: Y.Doc,
  outputsFor?: (cell: YCell) => { outputs: Output[]; execution_count: number | null } | undefined,
  /** Hears of each entry of `cells` that is not a usable cell (skipped). */
  onSkip?: (index: number) => void,
): Notebook {
  const cells = readableCells(sharedDoc(doc).cells, onSkip).map((cell) => {
    const json = cellToJSON(cell);
    if (json.cell_type === 'code' && outputsFor) {
      const picked = outputsFor(cell);
      if (picked) return { ...json, outputs: picked.outputs, execution_count: picked.execution_count };
    }
    return json;
  });
  return { nbformat: 4, nbformat_minor: NBFORMAT_MINOR, metadata: notebookMetadata(doc), cells };
}

/** A notebook of these cells on the default kernelspec (python3). */
export function notebookOf(cells: Notebook['cells']): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells,
  };
}

/** The shared document as @jupyter/ydoc's `meta` + `cells` keys describe it, without outputs kept. */
export function emptyNotebook(): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: NBFORMAT_MINOR,
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' },
      language_info: { name: 'python' },
    },
    cells: [{ cell_type: 'code', id: newCellId(), source: '', metadata: {}, execution_count: null, outputs: [] }],
  };
}

/**
 * Metadata of the marker output that replaces what a cell printed past the server's output cap:
 * `{ output_type: 'display_data', data: { 'text/plain': '…' }, metadata: { cohort: { truncated: true } } }`.
 */
export function isTruncationMarker(output: object): boolean {
  const metadata = ('metadata' in output ? output.metadata : undefined) as { cohort?: { truncated?: unknown } } | undefined;
  return metadata?.cohort?.truncated === true;
}

// ---- private document ------------------------------------------------------------------------

export type ExecutionStatus = 'queued' | 'running' | 'ok' | 'error' | 'aborted';

export interface ExecutionInfo {
  status: ExecutionStatus;
  execution_count: number | null;
  queued_at: number;
  started_at?: number;
  finished_at?: number;
  /** Why a run failed when the kernel did not say (dead kernel, start failure). */
  message?: string;
  /** `sourceDigest` of the code that ran, so a page can mark outputs of since-edited code stale. */
  source_digest?: string;
}

/**
 * A short fingerprint of a cell's source (FNV-1a, 32 bits, over UTF-16 code units). Not a security
 * hash: it only has to tell "the source changed since it ran", cheaply, on server and page alike.
 */
export function sourceDigest(source: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < source.length; i++) {
    hash ^= source.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `${source.length.toString(36)}-${hash.toString(36)}`;
}

export type KernelStatus = 'none' | 'starting' | 'idle' | 'busy' | 'restarting' | 'unreachable' | 'dead' | 'culled';

export interface StdinRequest {
  prompt: string;
  password: boolean;
  cell_id: string;
  /** Identifies the request being answered, so a stale answer is refused. */
  request_id: string;
}

// ---- widgets ---------------------------------------------------------------------------------

/**
 * A widget model: a Y.Map with `model_name`, `model_module`, `model_module_version`, and `state`:
 * a Y.Map with one entry per trait (JSON values; binary buffers as Uint8Array), so two traits
 * changed at once by different writers both survive.
 */
export interface WidgetModelSpec {
  model_name: string;
  model_module: string;
  model_module_version: string;
  state: Record<string, unknown>;
}

export function createWidgetModel(spec: WidgetModelSpec): Y.Map<unknown> {
  const model = new Y.Map<unknown>();
  model.set('model_name', spec.model_name);
  model.set('model_module', spec.model_module);
  model.set('model_module_version', spec.model_module_version);
  const state = new Y.Map<unknown>();
  for (const [key, value] of Object.entries(spec.state)) state.set(key, value);
  model.set('state', state);
  return model;
}

export function widgetState(model: Y.Map<unknown>): Y.Map<unknown> {
  return model.get('state') as Y.Map<unknown>;
}

export type { JSONValue };
