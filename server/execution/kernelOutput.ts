// The one translation of a kernel's iopub message into the nbformat output it shows: `stream`,
// `display_data`, `execute_result` and `error` become outputs; every other message is not one.
// Cell outputs (execution/session.ts) and Output widgets' captures (widgets/capture.ts) both use it.
import type { Output } from '../../shared/nbformat.ts';
import { isMessageType } from '../kernels/messages.ts';
import type { KernelMessage } from '../kernels/messages.ts';

/**
 * The output a message shows, or undefined. `transient` (a display id, for later
 * `update_display_data`) is kept for cell outputs; an Output widget's outputs go without it.
 */
export function outputOf(msg: KernelMessage, { keepTransient = true } = {}): Output | undefined {
  if (isMessageType(msg, 'stream')) return { output_type: 'stream', name: msg.content.name, text: msg.content.text };
  if (isMessageType(msg, 'display_data') || isMessageType(msg, 'execute_result')) {
    const { data, metadata, transient } = msg.content;
    const display = keepTransient && transient?.display_id ? { transient } : {};
    return isMessageType(msg, 'execute_result')
      ? { output_type: 'execute_result', data, metadata, execution_count: msg.content.execution_count, ...display }
      : { output_type: 'display_data', data, metadata, ...display };
  }
  if (isMessageType(msg, 'error')) {
    const { ename, evalue, traceback } = msg.content;
    return { output_type: 'error', ename, evalue, traceback };
  }
  return undefined;
}
