// Widget traffic from a kernel into its document (the "kernel → document" half of bridge.ts): a
// `comm_open` of target `jupyter.widget` becomes a model in the kernel's document (the user's private
// document, or the shared one for the shared kernel), `comm_msg` updates change its state, a kernel's
// custom message goes to the browsers of that document, `comm_close` removes the model. Outputs an
// Output widget captures go into it (capture.ts); outputs of a widget callback go to the cell that
// created the widget — as JupyterLab's front end does (docs/ARCHITECTURE.md, "The server is the
// kernel's front end"). Everything a kernel writes stays within the state bound (stateBound.ts).
import type { JSONObject } from '../../shared/nbformat.ts';
import { createWidgetModel, widgetState } from '../../shared/schema.ts';
import type { JsonObject } from '../../shared/widgetMessages.ts';
import { encodeWidgetMessage } from '../../shared/widgetMessages.ts';
import type { ActiveRun } from '../execution/session.ts';
import { isMessageType, parentMsgId } from '../kernels/messages.ts';
import type { KernelMessage } from '../kernels/messages.ts';
import type { Logger } from '../log.ts';
import { putBuffers, sameValue, valueBytes } from './buffers.ts';
import { captureOutput, trackCapture } from './capture.ts';
import type { StateBound } from './stateBound.ts';
import type { ClientsToKernel } from './toKernel.ts';
import type { WidgetSession } from './widgetSession.ts';
import { dropOutbox, stopCapturing } from './widgetSession.ts';

export const WIDGET_TARGET = 'jupyter.widget';

const OUTPUT_TYPES = new Set(['stream', 'display_data', 'execute_result', 'error', 'clear_output']);

export class KernelToDocument {
  constructor(
    private readonly log: Logger,
    private readonly bound: StateBound,
    private readonly maxStateBytes: number,
    /** Told when the kernel is done with a message clients sent (its `idle`), so the next may go. */
    private readonly toKernel: ClientsToKernel,
  ) {}

  /**
   * Takes one iopub message of the kernel (`run`: the running cell's, when the message is that
   * run's); true when it was widget traffic or captured output, false when it is not the widgets'.
   */
  handle(state: WidgetSession, msg: KernelMessage, run: ActiveRun | undefined): boolean {
    const parent = parentMsgId(msg);
    if (isMessageType(msg, 'comm_open')) {
      if (msg.content.target_name !== WIDGET_TARGET) return true;
      const cell = run?.cellId ?? (parent ? this.cellOfMessage(state, parent) : undefined);
      this.open(state, msg.content.comm_id, msg.content.data, msg.buffers, cell);
      return true;
    }
    if (isMessageType(msg, 'comm_msg')) {
      this.message(state, msg, parent);
      return true;
    }
    if (isMessageType(msg, 'comm_close')) {
      this.close(state, msg.content.comm_id);
      return true;
    }
    if (isMessageType(msg, 'status') && parent && state.sent.has(parent) && msg.content.execution_state === 'idle') {
      this.toKernel.delivered(state, parent);
      // Idle comes after every output of the message: nothing more will name it as parent.
      state.sent.delete(parent);
      return false;
    }
    if (!OUTPUT_TYPES.has(msg.header.msg_type) || !parent) return false;
    const capturing = state.captures.get(parent)?.at(-1);
    if (capturing) {
      captureOutput(state, capturing, msg, this.bound);
      return true;
    }
    if (!run && state.sent.has(parent)) {
      // Output of a widget callback (parent: our comm_msg): to the cell that created the widget.
      const cell = this.cellOfMessage(state, parent);
      if (cell) state.session.writer.writeOutput(state.session.writer.outputsOf(cell), msg);
      else this.log.debug({ parent }, 'widget callback output with no cell to show it; dropped');
      return true;
    }
    return false;
  }

  private cellOfMessage(state: WidgetSession, msgId: string): string | undefined {
    const model = state.sent.get(msgId);
    return model ? state.modelCell.get(model) : undefined;
  }

  private open(state: WidgetSession, commId: string, data: JSONObject, buffers: Buffer[], cell: string | undefined): void {
    const raw = (data.state ?? {}) as Record<string, unknown>;
    const full = putBuffers(raw, data.buffer_paths, buffers);
    state.modelCell.set(commId, cell);
    if (!this.bound.fits(state, commId, full)) return;
    trackCapture(state, commId, full);
    state.session.writer.batcher.enqueue(() => {
      state.widgets.set(
        commId,
        createWidgetModel({
          model_name: String(full._model_name ?? ''),
          model_module: String(full._model_module ?? '@jupyter-widgets/base'),
          model_module_version: String(full._model_module_version ?? ''),
          state: full,
        }),
      );
    });
  }

  private message(state: WidgetSession, msg: KernelMessage<'comm_msg'>, parent: string | undefined): void {
    const commId = msg.content.comm_id;
    const data = msg.content.data as { method?: string; state?: Record<string, unknown>; buffer_paths?: unknown; content?: unknown };
    if (data.method === 'custom') {
      this.customToClients(state, commId, data.content, msg.buffers);
      return;
    }
    if (data.method !== 'update' && data.method !== 'echo_update') return;
    // An echo of our own update tells other front ends what we sent; we are the only front end.
    if (data.method === 'echo_update' && parent && state.sent.has(parent)) return;
    const changes = putBuffers(data.state ?? {}, data.buffer_paths, msg.buffers);
    if (!this.bound.fits(state, commId, changes)) return;
    trackCapture(state, commId, changes);
    const unsent = new Set((state.outbox.get(commId) ?? []).flatMap((item) => (item.kind === 'state' ? Object.keys(item.changes) : [])));
    state.session.writer.batcher.enqueue(() => {
      const model = state.widgets.get(commId);
      if (!model) return;
      const traits = widgetState(model);
      for (const [key, value] of Object.entries(changes)) {
        // A client's newer value, not yet sent, wins over what the kernel says now.
        if (unsent.has(key)) continue;
        if (!sameValue(traits.get(key), value)) traits.set(key, value);
      }
    });
  }

  /**
   * A kernel's `send()` (custom message) goes to the browsers of the model's document — its
   * user's, or everyone on the shared document — after the updates written before it.
   */
  private customToClients(state: WidgetSession, commId: string, content: unknown, buffers: Buffer[]): void {
    if (typeof content !== 'object' || content === null || Array.isArray(content)) return;
    // The model may still be on its way into the document (opened this turn).
    state.session.writer.batcher.flush();
    if (!state.widgets.has(commId)) {
      this.log.debug({ model: commId }, 'custom message for a model not in the document; dropped');
      return;
    }
    const bytes = valueBytes(content) + buffers.reduce((sum, b) => sum + b.byteLength, 0);
    if (bytes > this.maxStateBytes) {
      this.log.warn({ model: commId, bytes, max: this.maxStateBytes }, 'custom widget message from the kernel over the state bound; dropped');
      return;
    }
    const frame = encodeWidgetMessage({ kind: 'custom', modelId: commId, content: content as JsonObject, buffers: buffers.map((b) => new Uint8Array(b)) });
    state.session.target.room.sendInOrder(frame);
  }

  private close(state: WidgetSession, commId: string): void {
    this.bound.forget(state, commId);
    state.modelCell.delete(commId);
    state.outputModels.delete(commId);
    dropOutbox(state, commId, 'the widget was closed by its kernel');
    stopCapturing(state, commId);
    state.session.writer.batcher.enqueue(() => state.widgets.delete(commId));
  }
}
