// Output widgets capturing outputs, as JupyterLab's front end does for the kernel: while a
// `with out:` block runs, the Output widget's `msg_id` names the message whose outputs it takes
// instead of the cell (docs/ARCHITECTURE.md, "The server is the kernel's front end").
import type { Output } from '../../shared/nbformat.ts';
import { widgetState } from '../../shared/schema.ts';
import { outputOf } from '../execution/kernelOutput.ts';
import { isMessageType } from '../kernels/messages.ts';
import type { KernelMessage } from '../kernels/messages.ts';
import type { StateBound } from './stateBound.ts';
import type { WidgetSession } from './widgetSession.ts';
import { stopCapturing } from './widgetSession.ts';

const OUTPUT_MODEL = 'OutputModel';

/**
 * Output widgets set `msg_id` while a `with out:` block runs (and back to '' when it ends);
 * outputs of that message are the innermost capturing widget's. A widget that changes its
 * `msg_id` leaves the stack it was on and, for a new id, goes on top of that id's stack.
 */
export function trackCapture(state: WidgetSession, commId: string, changes: Record<string, unknown>): void {
  if (changes._model_name === OUTPUT_MODEL) state.outputModels.add(commId);
  if (!state.outputModels.has(commId) || !('msg_id' in changes)) return;
  stopCapturing(state, commId);
  const msgId = changes.msg_id;
  if (typeof msgId !== 'string' || msgId === '') return;
  const stack = state.captures.get(msgId) ?? [];
  stack.push(commId);
  state.captures.set(msgId, stack);
}

/** One output message into the capturing Output widget's `outputs` trait, within the state bound. */
export function captureOutput(state: WidgetSession, commId: string, msg: KernelMessage, bound: StateBound): void {
  state.session.writer.batcher.enqueue(() => {
    const model = state.widgets.get(commId);
    if (!model) return;
    const traits = widgetState(model);
    if (isMessageType(msg, 'clear_output')) {
      if (msg.content.wait) state.clearOnNext.add(commId);
      else if (bound.fits(state, commId, { outputs: [] })) traits.set('outputs', []);
      return;
    }
    let outputs = (traits.get('outputs') as Output[] | undefined) ?? [];
    if (state.clearOnNext.delete(commId)) outputs = [];
    const output = outputOf(msg, { keepTransient: false });
    if (!output) return;
    if (!bound.fits(state, commId, { outputs: [...outputs, output] })) return;
    const last = outputs[outputs.length - 1];
    if (output.output_type === 'stream' && last?.output_type === 'stream' && last.name === output.name) {
      outputs = [...outputs.slice(0, -1), { ...last, text: String(last.text) + String(output.text) }];
    } else {
      outputs = [...outputs, output];
    }
    traits.set('outputs', outputs);
  });
}
