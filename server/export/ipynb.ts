// ipynb export: nbformat 4.5 JSON written the way Jupyter's nbformat.writes does (indent 1, keys
// sorted, multiline text split into lines, transient fields dropped), so a downloaded notebook
// diffs cleanly against one saved by Jupyter.
import type { Cell, JSONObject, JSONValue, Notebook, Output } from '../../shared/nbformat.ts';
import { NBFORMAT_MINOR, newCellId } from '../../shared/schema.ts';
import { splitLines } from './common.ts';

/** Mimes nbformat splits into lines (rwbase._split_mimebundle): text/* plus these. */
const SPLIT_MIMES = new Set(['application/javascript', 'image/svg+xml']);

function splitMimebundle(data: Record<string, JSONValue>): Record<string, JSONValue> {
  const out: Record<string, JSONValue> = {};
  for (const [mime, value] of Object.entries(data)) {
    out[mime] = typeof value === 'string' && (mime.startsWith('text/') || SPLIT_MIMES.has(mime)) ? splitLines(value) : value;
  }
  return out;
}

function splitAttachments(attachments: JSONObject): JSONObject {
  const out: JSONObject = {};
  for (const [name, bundle] of Object.entries(attachments)) {
    out[name] = bundle && typeof bundle === 'object' && !Array.isArray(bundle) ? splitMimebundle(bundle) : bundle;
  }
  return out;
}

/** `transient` (display ids) lives only in documents and messages; nbformat forbids it on disk. */
function fileOutput(output: Output): Output {
  switch (output.output_type) {
    case 'stream':
      return { output_type: 'stream', name: output.name, text: splitLines(typeof output.text === 'string' ? output.text : output.text.join('')) };
    case 'display_data': {
      const { transient: _transient, ...rest } = output;
      return { ...rest, data: splitMimebundle(output.data) };
    }
    case 'execute_result': {
      const { transient: _transient, ...rest } = output;
      return { ...rest, data: splitMimebundle(output.data) };
    }
    case 'error':
      return output;
  }
}

function fileCell(cell: Cell, id: string): Cell {
  const { trusted: _trusted, ...metadata } = cell.metadata;
  const source = splitLines(typeof cell.source === 'string' ? cell.source : cell.source.join(''));
  if (cell.cell_type === 'code') {
    return { ...cell, id, source, metadata, outputs: cell.outputs.map(fileOutput) };
  }
  const attachments = cell.attachments ? { attachments: splitAttachments(cell.attachments) } : {};
  return { ...cell, id, source, metadata, ...attachments };
}

/** Every cell needs a unique id in 4.5; documents always have them, hand-built notebooks may not. */
function uniqueIds(cells: readonly Cell[]): string[] {
  const seen = new Set<string>();
  return cells.map((cell) => {
    let id = cell.id;
    while (id === undefined || seen.has(id)) id = newCellId();
    seen.add(id);
    return id;
  });
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
    return sorted;
  }
  return value;
}

export function notebookToIpynb(nb: Notebook): string {
  const {
    orig_nbformat: _orig,
    orig_nbformat_minor: _origMinor,
    signature: _signature,
    ...metadata
  } = nb.metadata;
  const ids = uniqueIds(nb.cells);
  const file: Notebook = {
    nbformat: 4,
    nbformat_minor: NBFORMAT_MINOR,
    metadata,
    cells: nb.cells.map((cell, index) => fileCell(cell, ids[index] ?? newCellId())),
  };
  return `${JSON.stringify(sortKeys(file), null, 1)}\n`;
}
