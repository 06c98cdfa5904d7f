// Cells for the notebooks tests create: a code cell as nbformat writes it, user-scope unless told.
import type { CodeCell, JSONObject } from '../../shared/nbformat.ts';
import type { Scope } from '../../shared/schema.ts';

export function codeCell(id: string, source: string, scope: Scope = 'user', metadata: JSONObject = {}): CodeCell {
  return {
    cell_type: 'code',
    id,
    source,
    metadata: scope === 'shared' ? { ...metadata, cohort: { scope: 'shared' } } : metadata,
    outputs: [],
    execution_count: null,
  };
}
