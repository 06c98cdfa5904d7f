// Whether the outputs a cell shows came from an older version of its code: the run recorded a
// digest of the source it ran (`ExecutionInfo.source_digest`); when the source now differs, the
// outputs are stale. Saved outputs from a notebook file have no such record and are never marked.
import type * as Y from 'yjs';
import type { ExecutionInfo, YCell } from '../../shared/schema.ts';
import { cellId, cellSource, sourceDigest } from '../../shared/schema.ts';

export interface StaleWatch {
  isStale(): boolean;
  dispose(): void;
}

/**
 * Calls `onChange` when staleness may have changed. `executions` gives the map the shown outputs'
 * run was recorded in (mine or the shared document's), or undefined for outputs with no run.
 */
export function watchStale(
  cell: YCell,
  executions: () => Y.Map<ExecutionInfo> | undefined,
  onChange: () => void,
  /** The source my runs use: the cell's, or my copy of an exercise cell (client/exercises/mySource.ts). */
  sourceOf: () => Y.Text = () => cellSource(cell),
): StaleWatch {
  const id = cellId(cell);
  let source: Y.Text | undefined;
  let watched: Y.Map<ExecutionInfo> | undefined;

  const isStale = () => {
    const info = executions()?.get(id);
    if (!info?.source_digest || info.status === 'queued' || info.status === 'running') return false;
    return info.source_digest !== sourceDigest(source!.toString());
  };
  const onExecutions = (event: Y.YMapEvent<ExecutionInfo>) => {
    if (event.keysChanged.has(id)) onChange();
  };
  const rewatch = () => {
    const next = executions();
    if (next === watched) return;
    watched?.unobserve(onExecutions);
    watched = next;
    watched?.observe(onExecutions);
  };
  const onSource = () => onChange();
  const resource = () => {
    const next = sourceOf();
    if (next === source) return;
    source?.unobserve(onSource);
    source = next;
    source.observe(onSource);
  };
  resource();
  rewatch();
  return {
    isStale: () => {
      resource();
      rewatch();
      return isStale();
    },
    dispose() {
      source?.unobserve(onSource);
      watched?.unobserve(onExecutions);
    },
  };
}
