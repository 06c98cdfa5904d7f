// The state the widget bridge keeps per kernel session (bridge.ts): the kernel's models, where
// Output widgets capture, and what clients sent that the kernel has not been given yet; plus the
// small helpers over that state.
import type * as Y from 'yjs';
import type { JSONObject } from '../../shared/nbformat.ts';
import type { YOutput } from '../../shared/schema.ts';
import type { KernelSession } from '../execution/session.ts';
import type { Kernel } from '../kernels/provider.ts';

/** A custom message's fate: handed to the kernel, or refused with a reason for its sender. */
export type CustomVerdict = { sent: true } | { sent: false; code: CustomRefusal; reason: string };
export type CustomRefusal = 'forbidden' | 'widget_not_found' | 'kernel_gone' | 'widget_message_too_large' | 'internal';

export type Outgoing =
  | {
      kind: 'state';
      changes: Record<string, unknown>;
      /** Who made each change, per trait (undefined: the server itself). */
      authors: Map<string, string | undefined>;
    }
  | { kind: 'custom'; content: JSONObject; buffers: Uint8Array[]; author: string; settle(verdict: CustomVerdict): void };

/** Per kernel session: the widget models of its kernel and the traffic in flight. */
export class WidgetSession {
  kernel: Kernel | undefined;
  /** Model id (= comm id) → the cell whose run created it. */
  readonly modelCell = new Map<string, string | undefined>();
  readonly outputModels = new Set<string>();
  /**
   * Output widgets capturing, per msg_id: a stack of model ids, the innermost `with out:` last.
   * Jupyter front ends keep the same stack (JupyterLab registers a message hook per Output
   * widget, the last registered first; nbclient keeps `output_hook_stack` per msg_id): leaving
   * an inner block gives the capture back to the block around it, at any depth.
   */
  readonly captures = new Map<string, string[]>();
  /** comm_msgs we sent → the model they were for. */
  readonly sent = new Map<string, string>();
  /** Per model, the state update being processed by the kernel (sent, no `idle` yet). */
  readonly inFlight = new Map<string, { msgId: string; timer: NodeJS.Timeout }>();
  /**
   * Per model, what clients sent and the kernel has not been given yet, in the order it came:
   * state changes (coalesced with the change right before them: the latest value per trait) and
   * custom messages.
   */
  readonly outbox = new Map<string, Outgoing[]>();
  /** Models whose next outgoing item waits for its authors' roles; nothing else is sent for them meanwhile. */
  readonly checking = new Set<string>();
  readonly clearOnNext = new Set<string>();
  /** Bytes the kernel wrote per model and trait, and their sum, for the state bound. */
  readonly traitBytes = new Map<string, Map<string, number>>();
  totalBytes = 0;
  /** Bumped when the kernel's objects are gone: a role check started before must not send to the new kernel. */
  generation = 0;
  /** Models already told about the bound (one note per model, not one per refused update). */
  readonly noted = new Set<string>();

  constructor(readonly session: KernelSession) {}

  get widgets(): Y.Map<Y.Map<unknown>> {
    return this.session.results.widgets;
  }
}

/** Forgets what clients sent for a model; the senders of its custom messages hear why. */
export function dropOutbox(state: WidgetSession, modelId: string, why: string): void {
  for (const item of state.outbox.get(modelId) ?? []) if (item.kind === 'custom') item.settle({ sent: false, code: 'kernel_gone', reason: `not sent: ${why}` });
  state.outbox.delete(modelId);
}

/** Takes an Output widget off every capture stack it is on. */
export function stopCapturing(state: WidgetSession, commId: string): void {
  for (const [msgId, stack] of state.captures) {
    const rest = stack.filter((model) => model !== commId);
    if (rest.length === 0) state.captures.delete(msgId);
    else if (rest.length !== stack.length) state.captures.set(msgId, rest);
  }
}

export function forEachOutput(session: KernelSession, visit: (output: YOutput) => void): void {
  for (const outputs of session.results.allOutputs()) outputs.forEach(visit);
}
