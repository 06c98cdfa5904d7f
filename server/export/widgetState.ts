// The widget state a saved notebook carries (`metadata.widgets`, mime
// `application/vnd.jupyter.widget-state+json`, schema version 2.0), as nbclient and JupyterLab
// write it: every model with its name, module, version and state, binary buffers taken out of the
// state and stored base64 with their paths. A viewer of the file (nbviewer, Voila, JupyterLab)
// renders the widget views of the outputs from it, Output widgets' captured outputs included.
// https://github.com/jupyter-widgets/ipywidgets/blob/main/packages/schema/v2/state.schema.json
import * as Y from 'yjs';
import type { JSONObject, JSONValue } from '../../shared/nbformat.ts';
import { widgetState } from '../../shared/schema.ts';
import { takeBuffers } from '../widgets/buffers.ts';

export const WIDGET_STATE_MIME = 'application/vnd.jupyter.widget-state+json';

/** One model as the state schema has it; undefined for an entry that is not a widget model. */
function savedModel(model: unknown): JSONObject | undefined {
  if (!(model instanceof Y.Map)) return undefined;
  const traits = widgetState(model);
  if (!(traits instanceof Y.Map)) return undefined;
  const raw: Record<string, unknown> = {};
  for (const [key, value] of traits.entries()) raw[key] = value instanceof Y.AbstractType ? value.toJSON() : value;
  const { state, paths, buffers } = takeBuffers(raw);
  return {
    model_name: String(model.get('model_name') ?? ''),
    model_module: String(model.get('model_module') ?? ''),
    model_module_version: String(model.get('model_module_version') ?? ''),
    state: state as JSONObject,
    ...(buffers.length > 0
      ? {
          buffers: buffers.map((buffer, i) => ({
            path: paths[i] as JSONValue,
            data: Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength).toString('base64'),
            encoding: 'base64',
          })),
        }
      : {}),
  };
}

/**
 * `metadata.widgets` for a notebook whose outputs show these documents' models: the state saved
 * with the notebook (models of views not re-run since it was imported) with the live models over
 * it. Undefined when there is nothing to save.
 */
export function widgetStateMetadata(saved: JSONValue | undefined, live: ReadonlyArray<Y.Map<Y.Map<unknown>>>): JSONObject | undefined {
  const previous = (saved as { [WIDGET_STATE_MIME]?: { state?: unknown } } | undefined)?.[WIDGET_STATE_MIME]?.state;
  const state: JSONObject = previous && typeof previous === 'object' && !Array.isArray(previous) ? { ...(previous as JSONObject) } : {};
  for (const widgets of live) {
    for (const [modelId, model] of widgets.entries()) {
      const entry = savedModel(model);
      if (entry) state[modelId] = entry;
    }
  }
  if (Object.keys(state).length === 0) return undefined;
  return { [WIDGET_STATE_MIME]: { version_major: 2, version_minor: 0, state } };
}
