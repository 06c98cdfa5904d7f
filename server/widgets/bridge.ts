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
// Both directions are bounded and checked. A kernel's widgets may hold at most
// `maxStateBytes` in its document (updates past it are refused with a note in the widget's
// cell). A change a client makes in a document reaches the kernel only if its author may drive
// it *at the time of the change*: for a private document, its user as a runner or more; for the
// shared document, an editor or more — the same rules as the REST widget route, so a member
// demoted to viewer no longer moves their kernel's widgets even through their private document.
import { randomUUID } from 'node:crypto';
import * as Y from 'yjs';
import type { JSONObject, Output } from '../../shared/nbformat.ts';
import type { Role } from '../../shared/roles.ts';
import { can } from '../../shared/roles.ts';
import { createWidgetModel, widgetState } from '../../shared/schema.ts';
import type { ExecutionPlugins, ExecutionService } from '../execution/service.ts';
import type { ActiveRun, KernelSession } from '../execution/session.ts';
import { KERNEL_ORIGIN } from '../execution/session.ts';
import type { ManagedKernel } from '../kernels/manager.ts';
import { isMessageType, parentMsgId } from '../kernels/messages.ts';
import type { KernelMessage } from '../kernels/messages.ts';
import type { Logger } from '../log.ts';
import { putBuffers, sameValue, takeBuffers, valueBytes } from './buffers.ts';
import type { CustomVerdict, Outgoing } from './widgetSession.ts';
import { dropOutbox, forEachOutput, stopCapturing, WidgetSession } from './widgetSession.ts';
import { outputOf } from '../execution/kernelOutput.ts';
import type { JsonObject } from '../../shared/widgetMessages.ts';
import { encodeWidgetMessage } from '../../shared/widgetMessages.ts';
import type { Connection, CustomWidgetMessage, Room } from '../sync/room.ts';
import { send as sendTo } from '../sync/room.ts';

export const WIDGET_TARGET = 'jupyter.widget';
export const WIDGET_VIEW_MIME = 'application/vnd.jupyter.widget-view+json';
const OUTPUT_MODEL = 'OutputModel';
/** A model whose update got no `idle` this long is sent to again anyway. */
const IN_FLIGHT_TIMEOUT_MS = 5_000;

const OUTPUT_TYPES = new Set(['stream', 'display_data', 'execute_result', 'error', 'clear_output']);

export interface WidgetBridgeOptions {
  /** Widget state one kernel may keep in its document, all models and buffers included. */
  maxStateBytes: number;
  /** A user's role on a notebook now (undefined: not a member). */
  roleOf(notebookId: string, userId: string): Promise<Role | undefined>;
}

/** The user behind a transaction: a sync connection carries its user id; server code does not. */
function authorOf(origin: unknown): string | undefined {
  const userId = typeof origin === 'object' && origin !== null ? (origin as { userId?: unknown }).userId : undefined;
  return typeof userId === 'string' ? userId : undefined;
}

export class WidgetBridge {
  private readonly sessions = new Map<KernelSession, WidgetSession>();
  /** The session whose kernel's widgets a loaded document holds, for messages arriving on its socket. */
  private readonly byRoom = new WeakMap<Room, WidgetSession>();

  constructor(
    private readonly log: Logger,
    private readonly options: WidgetBridgeOptions,
  ) {}

  /** The ExecutionService plugin wiring this bridge into kernel sessions. */
  plugin(): ExecutionPlugins {
    return {
      hooksFor: () => ({
        interceptIopub: (session, msg, run) => this.fromKernel(this.state(session), msg, run),
        onOtherIopub: (session, msg) => void this.fromKernel(this.state(session), msg, undefined),
      }),
      onKernelAttached: (session, managed) => this.attach(session, managed),
      onKernelReset: (session, reason) => this.reset(this.state(session), reason),
    };
  }

  private state(session: KernelSession): WidgetSession {
    let state = this.sessions.get(session);
    if (!state) {
      state = new WidgetSession(session);
      this.sessions.set(session, state);
      this.byRoom.set(session.target.room, state);
      this.observeClients(state);
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
      this.delivered(state, parent);
      // Idle comes after every output of the message: nothing more will name it as parent.
      state.sent.delete(parent);
      return false;
    }
    if (!OUTPUT_TYPES.has(msg.header.msg_type) || !parent) return false;
    const capturing = state.captures.get(parent)?.at(-1);
    if (capturing) {
      this.capture(state, capturing, msg);
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
    if (!this.fits(state, commId, full)) return;
    this.trackCapture(state, commId, full);
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
    if (!this.fits(state, commId, changes)) return;
    this.trackCapture(state, commId, changes);
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

  /**
   * Output widgets set `msg_id` while a `with out:` block runs (and back to '' when it ends);
   * outputs of that message are the innermost capturing widget's. A widget that changes its
   * `msg_id` leaves the stack it was on and, for a new id, goes on top of that id's stack.
   */
  private trackCapture(state: WidgetSession, commId: string, changes: Record<string, unknown>): void {
    if (changes._model_name === OUTPUT_MODEL) state.outputModels.add(commId);
    if (!state.outputModels.has(commId) || !('msg_id' in changes)) return;
    stopCapturing(state, commId);
    const msgId = changes.msg_id;
    if (typeof msgId !== 'string' || msgId === '') return;
    const stack = state.captures.get(msgId) ?? [];
    stack.push(commId);
    state.captures.set(msgId, stack);
  }

  private capture(state: WidgetSession, commId: string, msg: KernelMessage): void {
    state.session.batcher.enqueue(() => {
      const model = state.widgets.get(commId);
      if (!model) return;
      const traits = widgetState(model);
      if (isMessageType(msg, 'clear_output')) {
        if (msg.content.wait) state.clearOnNext.add(commId);
        else if (this.fits(state, commId, { outputs: [] })) traits.set('outputs', []);
        return;
      }
      let outputs = (traits.get('outputs') as Output[] | undefined) ?? [];
      if (state.clearOnNext.delete(commId)) outputs = [];
      const output = outputOf(msg, { keepTransient: false });
      if (!output) return;
      if (!this.fits(state, commId, { outputs: [...outputs, output] })) return;
      const last = outputs[outputs.length - 1];
      if (output.output_type === 'stream' && last?.output_type === 'stream' && last.name === output.name) {
        outputs = [...outputs.slice(0, -1), { ...last, text: String(last.text) + String(output.text) }];
      } else {
        outputs = [...outputs, output];
      }
      traits.set('outputs', outputs);
    });
  }

  /**
   * Whether the kernel's widgets stay within the state bound with these trait values for a
   * model; if so they are counted, if not the change is refused and the user told once per model.
   */
  private fits(state: WidgetSession, commId: string, changes: Record<string, unknown>): boolean {
    const sizes = state.traitBytes.get(commId) ?? new Map<string, number>();
    let delta = 0;
    const next: Array<[string, number]> = [];
    for (const [key, value] of Object.entries(changes)) {
      const bytes = valueBytes(value);
      delta += bytes - (sizes.get(key) ?? 0);
      next.push([key, bytes]);
    }
    const max = this.options.maxStateBytes;
    if (state.totalBytes + delta > max) {
      this.log.warn({ model: commId, bytes: state.totalBytes + delta, max }, 'widget state over its bound; kernel update refused');
      if (!state.noted.has(commId)) {
        state.noted.add(commId);
        const cell = state.modelCell.get(commId);
        const note =
          `Widget update refused: this kernel's widgets would hold ${state.totalBytes + delta} bytes, ` +
          `more than the server keeps (${max}, --max-widget-state-bytes). The widget shows its last accepted state.\n`;
        if (cell) state.session.batcher.enqueue(() => state.session.outputsOf(cell).appendStream('stderr', note));
      }
      return false;
    }
    for (const [key, bytes] of next) sizes.set(key, bytes);
    state.traitBytes.set(commId, sizes);
    state.totalBytes += delta;
    return true;
  }

  private forget(state: WidgetSession, commId: string): void {
    for (const bytes of state.traitBytes.get(commId)?.values() ?? []) state.totalBytes -= bytes;
    state.traitBytes.delete(commId);
    state.noted.delete(commId);
  }

  private close(state: WidgetSession, commId: string): void {
    this.forget(state, commId);
    state.modelCell.delete(commId);
    state.outputModels.delete(commId);
    dropOutbox(state, commId, 'the widget was closed by its kernel');
    stopCapturing(state, commId);
    state.session.batcher.enqueue(() => state.widgets.delete(commId));
  }

  // ---- document → kernel ---------------------------------------------------------------------

  private observeClients(state: WidgetSession): void {
    state.widgets.observeDeep((events, transaction) => {
      if (transaction.origin === KERNEL_ORIGIN) return;
      const author = authorOf(transaction.origin);
      for (const event of events) {
        // A trait changed: the event's target is a model's `state` map, two levels below `widgets`.
        const [modelId, field] = event.path as [string?, string?];
        if (modelId === undefined || field !== 'state' || event.path.length !== 2) continue;
        const traits = event.target as Y.Map<unknown>;
        const keys = [...event.keys.keys()].filter((key) => traits.has(key));
        if (keys.length === 0) continue;
        const queue = state.outbox.get(modelId) ?? [];
        let tail = queue.at(-1);
        if (tail?.kind !== 'state') {
          tail = { kind: 'state', changes: {}, authors: new Map() };
          queue.push(tail);
        }
        for (const key of keys) {
          tail.changes[key] = traits.get(key);
          tail.authors.set(key, author);
        }
        state.outbox.set(modelId, queue);
        this.flush(state, modelId);
      }
    });
  }

  /** Whether a user may drive this session's kernel through its document now (see the file's comment). */
  private async mayDrive(state: WidgetSession, userId: string): Promise<boolean> {
    const key = state.session.key;
    const role = await this.options.roleOf(key.notebookId, userId);
    return key.shared ? can.editShared(role) : key.userId === userId && can.runUserCells(role);
  }

  /**
   * Sends the next thing clients sent for a model — unless a state update of it is still being
   * processed — after checking who sent it: a change or custom message whose author may no
   * longer drive the kernel is dropped. One item at a time per model, in the order they came.
   */
  private flush(state: WidgetSession, modelId: string): void {
    const queue = state.outbox.get(modelId);
    if (!queue || state.inFlight.has(modelId) || state.checking.has(modelId) || !state.kernel?.alive) return;
    const next = queue.shift()!;
    if (queue.length === 0) state.outbox.delete(modelId);
    state.checking.add(modelId);
    const generation = state.generation;
    const checked: Promise<() => void> =
      next.kind === 'state'
        ? this.allowedChanges(state, modelId, next.changes, next.authors).then((allowed) => () => {
            if (allowed) this.send(state, modelId, allowed);
          })
        : this.mayDrive(state, next.author).then((allowed) => () => {
            if (allowed) this.sendCustom(state, modelId, next);
            else {
              this.log.warn({ model: modelId, user: next.author }, 'custom widget message refused: its author may not drive this kernel');
              next.settle({ sent: false, code: 'forbidden', reason: 'your role does not allow using this widget' });
            }
          });
    void checked.then(
      (act) => {
        if (generation !== state.generation) return; // the kernel was reset meanwhile: its models are gone
        state.checking.delete(modelId);
        act();
        this.flush(state, modelId);
      },
      (err: unknown) => {
        if (generation === state.generation) state.checking.delete(modelId);
        if (next.kind === 'custom') next.settle({ sent: false, code: 'internal', reason: 'the server could not check your role' });
        this.log.error({ err, model: modelId }, 'checking who sent to a widget failed; not sent');
      },
    );
  }

  /** The changes whose authors may drive the kernel (undefined when none is left), each too large one refused. */
  private async allowedChanges(
    state: WidgetSession,
    modelId: string,
    changes: Record<string, unknown>,
    authors: Map<string, string | undefined>,
  ): Promise<Record<string, unknown> | undefined> {
    const verdicts = new Map<string, boolean>();
    for (const userId of new Set(authors.values())) {
      if (userId !== undefined) verdicts.set(userId, await this.mayDrive(state, userId));
    }
    const allowed: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(changes)) {
      const author = authors.get(key);
      if (author !== undefined && !verdicts.get(author)) {
        this.log.warn({ model: modelId, user: author, trait: key }, 'widget change refused: its author may not drive this kernel');
        continue;
      }
      allowed[key] = value;
    }
    const bytes = valueBytes(allowed);
    if (bytes > this.options.maxStateBytes) {
      this.log.warn({ model: modelId, bytes, max: this.options.maxStateBytes }, 'widget change larger than the state bound; not sent');
      return undefined;
    }
    return Object.keys(allowed).length > 0 ? allowed : undefined;
  }

  private send(state: WidgetSession, modelId: string, changes: Record<string, unknown>): void {
    if (!state.kernel?.alive) return;
    const { state: json, paths, buffers } = takeBuffers(changes);
    const msgId = randomUUID();
    state.sent.set(msgId, modelId);
    state.inFlight.set(modelId, { msgId, timer: setTimeout(() => this.delivered(state, msgId), IN_FLIGHT_TIMEOUT_MS).unref() });
    state.kernel
      .sendShell(
        'comm_msg',
        { comm_id: modelId, data: { method: 'update', state: json, buffer_paths: paths } as JSONObject },
        { msgId, buffers: buffers.map((b) => Buffer.from(b)) },
      )
      .catch((err: unknown) => this.log.warn({ err, model: modelId }, 'sending a widget update to the kernel failed'));
  }

  /** The kernel is done with a message we sent: a state update of its model may follow. */
  private delivered(state: WidgetSession, msgId: string): void {
    const modelId = state.sent.get(msgId);
    if (!modelId) return;
    const inFlight = state.inFlight.get(modelId);
    if (inFlight?.msgId !== msgId) return; // a custom message's idle, or a stale one
    clearTimeout(inFlight.timer);
    state.inFlight.delete(modelId);
    this.flush(state, modelId);
  }

  private sendCustom(state: WidgetSession, modelId: string, item: Extract<Outgoing, { kind: 'custom' }>): void {
    if (!state.kernel?.alive || !state.widgets.has(modelId)) {
      item.settle({ sent: false, code: 'kernel_gone', reason: 'the kernel of this widget is not running' });
      return;
    }
    const msgId = randomUUID();
    // Outputs of the handler (parent: this message) go to the cell that created the widget.
    state.sent.set(msgId, modelId);
    state.kernel
      .sendShell('comm_msg', { comm_id: modelId, data: { method: 'custom', content: item.content } }, { msgId, buffers: item.buffers.map((b) => Buffer.from(b)) })
      .then(
        () => item.settle({ sent: true }),
        (err: unknown) => {
          this.log.warn({ err, model: modelId }, 'sending a custom widget message to the kernel failed');
          item.settle({ sent: false, code: 'kernel_gone', reason: 'the kernel of this widget is not running' });
        },
      );
  }

  /**
   * Queues a custom message (e.g. a Button click) for the kernel owning the model, after what
   * clients sent for that model before it; its author's role is checked when its turn comes.
   */
  custom(session: KernelSession, modelId: string, author: string, content: JSONObject, buffers: Uint8Array[] = []): Promise<CustomVerdict> {
    const state = this.state(session);
    if (!state.widgets.has(modelId)) return Promise.resolve({ sent: false, code: 'widget_not_found', reason: `no widget "${modelId}" in this document` });
    if (!state.kernel?.alive) return Promise.resolve({ sent: false, code: 'kernel_gone', reason: 'the kernel of this widget is not running' });
    const bytes = valueBytes(content) + buffers.reduce((sum, b) => sum + b.byteLength, 0);
    if (bytes > this.options.maxStateBytes) {
      return Promise.resolve({
        sent: false,
        code: 'widget_message_too_large',
        reason: `a widget message of ${bytes} bytes is larger than the ${this.options.maxStateBytes} a widget may hold (--max-widget-state-bytes)`,
      });
    }
    return new Promise((settle) => {
      const queue = state.outbox.get(modelId) ?? [];
      queue.push({ kind: 'custom', content, buffers, author, settle });
      state.outbox.set(modelId, queue);
      this.flush(state, modelId);
    });
  }

  /**
   * A client's custom message on a document's socket: to the kernel whose widgets that document
   * holds, if the model is one of them and its sender may drive that kernel; otherwise the sender
   * hears why not.
   */
  fromClient(room: Room, conn: Connection, message: CustomWidgetMessage): void {
    const state = this.byRoom.get(room);
    const verdict = state
      ? this.custom(state.session, message.modelId, conn.userId, message.content as JSONObject, message.buffers)
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
