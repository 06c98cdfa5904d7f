// The ipywidgets comm bridge (widget message protocol 2.1, target `jupyter.widget`): the server
// is every kernel's widget front end. Models opened by a kernel become Y.Maps in that kernel's
// document (the user's private document, or the shared document for the shared kernel);
// changes clients make to a model's `state` go back to the kernel as `comm_msg` updates.
//
// It also does what JupyterLab's front end does for the kernel (docs/ARCHITECTURE.md, "The server is the
// kernel's front end"): Output widgets capture iopub outputs whose parent is their `msg_id`, and
// outputs of widget callbacks go to the cell that created the widget. Custom messages (a model's
// `send()`) go both ways: from the kernel to every browser of the model's document, on its socket;
// from a browser (its socket, or the REST route) to the kernel, in order with what clients changed
// in that model before, and checked like a change.
//
// This file is the kernel → document half and the wiring; the document → kernel half is
// toKernel.ts, Output widgets' captures capture.ts, the state bound stateBound.ts.
//
// Both directions are bounded and checked. A kernel's widgets may hold at most
// `maxStateBytes` in its document (updates past it are refused with a note in the widget's
// cell). A change a client makes in a document reaches the kernel only if its author may drive
// it *at the time of the change*: for a private document, its user as a runner or more; for the
// shared document, an editor or more — the same rules as the REST widget route, so a member
// demoted to viewer no longer moves their kernel's widgets even through their private document.
import type { JSONObject } from '../../shared/nbformat.ts';
import type { Role } from '../../shared/roles.ts';
import { can } from '../../shared/roles.ts';
import { createWidgetModel, widgetState } from '../../shared/schema.ts';
import type { ExecutionPlugins, ExecutionService } from '../execution/service.ts';
import type { ActiveRun, KernelSession, SessionHooks } from '../execution/session.ts';
import { HttpError } from '../errors.ts';
import type { NotebookSummary } from '../notebooks/service.ts';
import type { ManagedKernel } from '../kernels/manager.ts';
import { isMessageType, parentMsgId } from '../kernels/messages.ts';
import type { KernelMessage } from '../kernels/messages.ts';
import type { Logger } from '../log.ts';
import { putBuffers, sameValue, valueBytes } from './buffers.ts';
import type { CustomVerdict } from './widgetSession.ts';
import { dropOutbox, forEachOutput, stopCapturing, WidgetSession } from './widgetSession.ts';
import { captureOutput, trackCapture } from './capture.ts';
import { StateBound } from './stateBound.ts';
import { ClientsToKernel } from './toKernel.ts';
import type { JsonObject } from '../../shared/widgetMessages.ts';
import { encodeWidgetMessage } from '../../shared/widgetMessages.ts';
import type { Connection } from '../sync/connection.ts';
import { send as sendTo } from '../sync/connection.ts';
import type { CustomWidgetMessage, Room } from '../sync/room.ts';

export const WIDGET_TARGET = 'jupyter.widget';
export const WIDGET_VIEW_MIME = 'application/vnd.jupyter.widget-view+json';

const OUTPUT_TYPES = new Set(['stream', 'display_data', 'execute_result', 'error', 'clear_output']);

export interface WidgetBridgeOptions {
  /** Widget state one kernel may keep in its document, all models and buffers included. */
  maxStateBytes: number;
  /** A user's role on a notebook now (undefined: not a member). */
  roleOf(notebookId: string, userId: string): Promise<Role | undefined>;
}

export class WidgetBridge {
  private readonly sessions = new Map<KernelSession, WidgetSession>();
  /** The session whose kernel's widgets a loaded document holds, for messages arriving on its socket. */
  private readonly byRoom = new WeakMap<Room, WidgetSession>();

  /** The other direction: clients' changes and messages to the kernel (toKernel.ts). */
  private readonly toKernel: ClientsToKernel;

  constructor(
    private readonly log: Logger,
    private readonly options: WidgetBridgeOptions,
  ) {
    this.bound = new StateBound(options.maxStateBytes, log);
    this.toKernel = new ClientsToKernel(log, options, (session) => this.state(session));
  }

  private readonly bound: StateBound;

  /** The ExecutionService plugin wiring this bridge into kernel sessions. */
  plugin(): ExecutionPlugins {
    return {
      hooksFor: (execution) => {
        this.execution = execution;
        return this.hooks();
      },
      onKernelAttached: (session, managed) => this.attach(session, managed),
      onKernelReset: (session, reason) => this.reset(this.state(session), reason),
    };
  }

  /** The sessions' kernels, to find the one holding a model a request names (set by the plugin). */
  private execution: ExecutionService | undefined;

  private hooks(): Partial<SessionHooks> {
    return {
      interceptIopub: (session, msg, run) => this.fromKernel(this.state(session), msg, run),
      onOtherIopub: (session, msg) => void this.fromKernel(this.state(session), msg, undefined),
    };
  }

  private state(session: KernelSession): WidgetSession {
    let state = this.sessions.get(session);
    if (!state) {
      state = new WidgetSession(session);
      this.sessions.set(session, state);
      this.byRoom.set(session.target.room, state);
      this.toKernel.observeClients(state);
    }
    return state;
  }

  private attach(session: KernelSession, managed: ManagedKernel): void {
    const state = this.state(session);
    if (state.kernel && state.kernel !== managed.kernel) this.reset(state, 'restarted');
    state.kernel = managed.kernel;
  }

  // ---- kernel → document ---------------------------------------------------------------------

  /** Handles one iopub message; true when it was widget traffic or captured output. */
  private fromKernel(state: WidgetSession, msg: KernelMessage, run: ActiveRun | undefined): boolean {
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
      if (cell) state.session.writeOutput(state.session.outputsOf(cell), msg);
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
    state.session.batcher.enqueue(() => {
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
    state.session.batcher.enqueue(() => {
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
    state.session.batcher.flush();
    if (!state.widgets.has(commId)) {
      this.log.debug({ model: commId }, 'custom message for a model not in the document; dropped');
      return;
    }
    const bytes = valueBytes(content) + buffers.reduce((sum, b) => sum + b.byteLength, 0);
    if (bytes > this.options.maxStateBytes) {
      this.log.warn({ model: commId, bytes, max: this.options.maxStateBytes }, 'custom widget message from the kernel over the state bound; dropped');
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
    state.session.batcher.enqueue(() => state.widgets.delete(commId));
  }

  /**
   * A custom message over REST for a model of the user's own kernel or of the shared kernel,
   * whichever holds it: sent if the user's role lets them drive that kernel (runners their own,
   * editors and owners the shared one).
   */
  async customFromUser(notebook: NotebookSummary, userId: string, modelId: string, content: JSONObject): Promise<CustomVerdict> {
    const own = await this.execution?.existingSession({ notebookId: notebook.id, userId });
    if (own?.results.widgets.has(modelId)) {
      if (!can.runUserCells(notebook.role)) throw new HttpError(403, 'forbidden', 'your role may not use widgets');
      return this.toKernel.custom(own, modelId, userId, content);
    }
    const shared = await this.execution?.existingSession({ notebookId: notebook.id, shared: true });
    if (shared?.results.widgets.has(modelId)) {
      if (!can.editShared(notebook.role)) throw new HttpError(403, 'forbidden', 'only editors and owners may use shared widgets');
      return this.toKernel.custom(shared, modelId, userId, content);
    }
    throw new HttpError(404, 'widget_not_found', `no widget "${modelId}" of yours or shared in this notebook`);
  }

  /**
   * A client's custom message on a document's socket: to the kernel whose widgets that document
   * holds, if the model is one of them and its sender may drive that kernel; otherwise the sender
   * hears why not.
   */
  fromClient(room: Room, conn: Connection, message: CustomWidgetMessage): void {
    const state = this.byRoom.get(room);
    const verdict = state
      ? this.toKernel.custom(state.session, message.modelId, conn.userId, message.content as JSONObject, message.buffers)
      : Promise.resolve<CustomVerdict>({ sent: false, code: 'widget_not_found', reason: 'no kernel holds the widgets of this document' });
    verdict
      .then((result) => {
        if (!result.sent) sendTo(conn, encodeWidgetMessage({ kind: 'refused', modelId: message.modelId, reason: result.reason }));
      })
      .catch((err: unknown) => this.log.error({ err, model: message.modelId, user: conn.userId }, 'answering a custom widget message failed'));
  }

  // ---- restart and cull ------------------------------------------------------------------------

  /** The kernel's objects are gone: remove its models, and say so where outputs showed them. */
  private reset(state: WidgetSession, reason: string): void {
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
    state.session.batcher.enqueue(() => {
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
    this.log.info({ models: gone.size, reason }, 'widget models removed with their kernel');
  }
}


export type { CustomRefusal, CustomVerdict } from './widgetSession.ts';
export type { ExecutionService };
