// Structural edits of the shared document's `cells`, each one Yjs transaction. Y types cannot be
// moved, so moving or retyping a cell replaces its Y.Map with a copy under the same cell id.
import type * as Y from 'yjs';
import type { CellType } from '../../shared/nbformat.ts';
import { cellToJSON, createCellMap, type YCell } from '../../shared/schema.ts';
import { sharedDoc } from '../../shared/layout.ts';

export function insertCell(doc: Y.Doc, index: number, cellType: CellType = 'code', source = ''): YCell {
  const cell =
    cellType === 'code'
      ? createCellMap({ cell_type: 'code', source, metadata: {}, outputs: [], execution_count: null })
      : createCellMap({ cell_type: cellType, source, metadata: {} });
  doc.transact(() => sharedDoc(doc).cells.insert(Math.max(0, Math.min(index, sharedDoc(doc).cells.length)), [cell]));
  return cell;
}

export function deleteCell(doc: Y.Doc, index: number): void {
  const cells = sharedDoc(doc).cells;
  if (index < 0 || index >= cells.length) return;
  doc.transact(() => cells.delete(index, 1));
}

export function moveCell(doc: Y.Doc, from: number, to: number): YCell | undefined {
  const cells = sharedDoc(doc).cells;
  if (from === to || from < 0 || to < 0 || from >= cells.length || to >= cells.length) return undefined;
  const original = cells.get(from);
  const copy = createCellMap(cellToJSON(original));
  doc.transact(() => {
    cells.delete(from, 1);
    cells.insert(to, [copy]);
  });
  return copy;
}

export function changeCellType(doc: Y.Doc, index: number, cellType: CellType): YCell | undefined {
  const cells = sharedDoc(doc).cells;
  const original = cells.get(index);
  if (!original || original.get('cell_type') === cellType) return undefined;
  const json = cellToJSON(original);
  const base = { id: json.id, source: json.source, metadata: json.metadata };
  const copy =
    cellType === 'code'
      ? createCellMap({ ...base, cell_type: 'code', outputs: [], execution_count: null })
      : createCellMap({ ...base, cell_type: cellType });
  doc.transact(() => {
    cells.delete(index, 1);
    cells.insert(index, [copy]);
  });
  return copy;
}
