// Widget changes from clients to the kernel (the "document → kernel" half of bridge.ts): what a
// client changes in a model's `state`, and its custom messages (a Button click), go to the kernel
// that owns the model, in the order they came, one update in flight per model — each only if its
// author may drive that kernel at the time of the change, and within the state bound.
import { randomUUID } from 'node:crypto';
import type * as Y from 'yjs';
import type { JSONObject } from '../../shared/nbformat.ts';
import { can } from '../../shared/roles.ts';
import type { KernelSession } from '../execution/session.ts';
import { KERNEL_ORIGIN } from '../execution/resultsWriter.ts';
import type { Logger } from '../log.ts';
import { takeBuffers, valueBytes } from './buffers.ts';
import type { CustomVerdict, Outgoing, WidgetSession } from './widgetSession.ts';
import type { WidgetBridgeOptions } from './bridge.ts';

/** A model whose update got no `idle` this long is sent to again anyway. */
const IN_FLIGHT_TIMEOUT_MS = 5_000;

/** The user behind a transaction: a sync connection carries its user id; server code does not. */
function authorOf(origin: unknown): string | undefined {
  const userId = typeof origin === 'object' && origin !== null ? (origin as { userId?: unknown }).userId : undefined;
  return typeof userId === 'string' ? userId : undefined;
}

export class ClientsToKernel {
  constructor(
    private readonly log: Logger,
    private readonly options: WidgetBridgeOptions,
    private readonly stateOf: (session: KernelSession) => WidgetSession,
  ) {}


  observeClients(state: WidgetSession): void {
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
  delivered(state: WidgetSession, msgId: string): void {
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
    const state = this.stateOf(session);
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
}
