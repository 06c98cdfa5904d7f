// A kernel's objects are gone (restarted, culled, dead or stopped): the bridge forgets what it kept
// for that kernel's widgets, the models leave the document, and the outputs that showed them say
// why and what to do, instead of a widget that no longer answers.
import type { KernelReset } from '../execution/service.ts';
import type { Logger } from '../log.ts';
import type { WidgetSession } from './widgetSession.ts';
import { dropOutbox, forEachOutput } from './widgetSession.ts';

export const WIDGET_VIEW_MIME = 'application/vnd.jupyter.widget-view+json';

export function kernelGone(state: WidgetSession, reason: KernelReset, log: Logger): void {
  for (const { timer } of state.inFlight.values()) clearTimeout(timer);
  state.inFlight.clear();
  for (const modelId of [...state.outbox.keys()]) dropOutbox(state, modelId, `its kernel was ${reason}`);
  state.checking.clear();
  state.generation++;
  state.traitBytes.clear();
  state.totalBytes = 0;
  state.noted.clear();
  state.sent.clear();
  state.captures.clear();
  state.outputModels.clear();
  state.modelCell.clear();
  const gone = new Set(state.widgets.keys());
  if (gone.size === 0) return;
  const note = `This widget no longer exists: its kernel was ${reason === 'culled' ? 'stopped for being idle' : reason}. Run the cell again.`;
  state.session.writer.batcher.enqueue(() => {
    for (const id of gone) state.widgets.delete(id);
    forEachOutput(state.session, (output) => {
      const data = output.get('data') as Record<string, unknown> | undefined;
      const view = data?.[WIDGET_VIEW_MIME] as { model_id?: string } | undefined;
      if (view?.model_id && gone.has(view.model_id)) {
        output.set('data', { 'text/plain': note });
        output.set('metadata', { cohort: { widgetGone: view.model_id } });
      }
    });
  });
  log.info({ models: gone.size, reason }, 'widget models removed with their kernel');
}
