// A widget model's comm, backed by a Y.Map instead of a kernel connection (ipywidgets message
// protocol 2.1, https://github.com/jupyter-widgets/ipywidgets/blob/main/packages/schema/messages.md).
// Outgoing `update`s become one Yjs transaction on the model's `state` map; the server forwards
// them to the kernel. Remote changes to that map come back as `{ method: 'update', state }`.
// Custom messages (a model's `send()` on either side) are events, not state: they travel on the
// document's socket (shared/widgetMessages.ts), buffers included.
import * as Y from 'yjs';
import type { ICallbacks, IClassicComm } from '@jupyter-widgets/base';
import { put_buffers } from '@jupyter-widgets/base';
import type { JSONObject, JSONValue } from '../../shared/nbformat.ts';
import { widgetState } from '../../shared/schema.ts';

type Buffers = ArrayBuffer[] | ArrayBufferView[];
type MessageHandler = (message: { content: { comm_id: string; data: unknown }; buffers: DataView[]; parent_header: JSONObject }) => void;

export interface CommContext {
  /** Origin of this page's own writes, so they are not delivered back to the model. */
  readonly localOrigin: object;
  /** The document may not be written by this user: changes are reverted instead of sent. */
  readonly readOnly: boolean;
  /** Sends a custom widget message (e.g. a Button click) to the kernel owning the model. */
  sendCustom(modelId: string, content: unknown, buffers: Uint8Array[]): void;
  reportError(context: string, error: unknown): void;
}

/**
 * Yjs holds bytes as Uint8Array; widget deserializers expect a DataView, and some (bqplot's
 * arrays: `new Float64Array(view.buffer)`) read its whole `buffer`, as Jupyter gives each buffer
 * an ArrayBuffer of its own. A Uint8Array from Yjs is a window into a larger one: copy it out.
 */
export function ownDataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.slice().buffer);
}

/** A trait value as a widget expects it: every buffer in it (at any depth, as buffer_paths put them) a DataView. */
function toWidgetValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return ownDataView(value);
  if (value instanceof Y.AbstractType) return value.toJSON();
  if (Array.isArray(value)) return value.some(holdsBytes) ? value.map(toWidgetValue) : value;
  if (value && typeof value === 'object' && holdsBytes(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWidgetValue(v)]));
  }
  return value;
}

function holdsBytes(value: unknown): boolean {
  if (value instanceof Uint8Array) return true;
  if (Array.isArray(value)) return value.some(holdsBytes);
  return !!value && typeof value === 'object' && !(value instanceof Y.AbstractType) && Object.values(value).some(holdsBytes);
}

function toBytes(value: ArrayBuffer | ArrayBufferView): Uint8Array {
  return value instanceof ArrayBuffer ? new Uint8Array(value.slice(0)) : new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
}

function toYValue(value: unknown): unknown {
  if (value instanceof DataView) return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  if (Array.isArray(value)) return value.map(toYValue);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toYValue(v)]));
  return value;
}

export function stateForWidget(state: Y.Map<unknown>, keys?: Iterable<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys ?? state.keys()) if (state.has(key)) out[key] = toWidgetValue(state.get(key));
  return out;
}

export class YjsComm implements IClassicComm {
  readonly target_name = 'jupyter.widget';
  private readonly handlers: MessageHandler[] = [];
  private readonly closeHandlers: ((message: unknown) => void)[] = [];
  private readonly observer: (event: Y.YMapEvent<unknown>) => void;
  private readonly state: Y.Map<unknown>;
  private closed = false;

  constructor(
    readonly comm_id: string,
    private readonly model: Y.Map<unknown>,
    private readonly context: CommContext,
  ) {
    this.state = widgetState(model);
    this.observer = (event) => {
      if (event.transaction.origin === context.localOrigin) return;
      const changed = [...(event.keysChanged as Set<string>)].filter((key) => this.state.has(key));
      if (changed.length === 0) return;
      this.deliver({ method: 'update', state: stateForWidget(this.state, changed), buffer_paths: [] });
    };
    this.state.observe(this.observer);
  }

  private deliver(data: unknown, buffers: DataView[] = []): void {
    const message = { content: { comm_id: this.comm_id, data }, buffers, parent_header: {} };
    for (const handler of this.handlers) handler(message);
  }

  open(): string {
    return '';
  }

  send(data: JSONValue, callbacks?: ICallbacks, _metadata?: JSONObject, buffers?: Buffers): string {
    const message = (data ?? {}) as { method?: string; state?: Record<string, unknown>; buffer_paths?: (string | number)[][]; content?: unknown };
    if (message.method === 'update' && message.state && !this.closed && this.context.readOnly) {
      // Put the view back to the document's values, after the model has finished this change.
      const keys = Object.keys(message.state);
      queueMicrotask(() => this.deliver({ method: 'update', state: stateForWidget(this.state, keys), buffer_paths: [] }));
    } else if (message.method === 'update' && message.state && !this.closed) {
      const state = { ...message.state } as Record<string, unknown>;
      if (buffers && buffers.length > 0 && message.buffer_paths) {
        // put_buffers' types cover only JSON-ish trees; our state is one.
        put_buffers(state as Parameters<typeof put_buffers>[0], message.buffer_paths, buffers);
      }
      const doc = this.model.doc;
      const write = () => {
        for (const [key, value] of Object.entries(state)) this.state.set(key, toYValue(value));
      };
      if (doc) doc.transact(write, this.context.localOrigin);
      else write();
    } else if (message.method === 'custom' && !this.closed) {
      this.context.sendCustom(this.comm_id, message.content ?? {}, (buffers ?? []).map(toBytes));
    }
    // The model throttles until it hears the kernel went idle (see widgets-in-the-browser.md,
    // gotcha 1); the change is handed on, so release it — after send() returns, as the model
    // counts the message only then.
    const status = callbacks?.iopub?.status;
    if (status) queueMicrotask(() => status({ content: { execution_state: 'idle' } } as Parameters<typeof status>[0]));
    return '';
  }

  close(): string {
    this.dispose();
    return '';
  }

  /** A custom message from the kernel (its model's `send()`): to the model's `on_msg` handlers. */
  receiveCustom(content: unknown, buffers: readonly Uint8Array[]): void {
    if (this.closed) return;
    this.deliver(
      { method: 'custom', content },
      buffers.map(ownDataView),
    );
  }

  /** The model was removed from the document (kernel restart, comm_close): close the widget. */
  closeFromRemote(): void {
    if (this.closed) return;
    this.dispose();
    for (const handler of this.closeHandlers) handler({ content: { comm_id: this.comm_id, data: {} } });
  }

  on_msg(callback: (message: never) => void): void {
    this.handlers.push(callback as MessageHandler);
  }

  on_close(callback: (message: never) => void): void {
    this.closeHandlers.push(callback as (message: unknown) => void);
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.state.unobserve(this.observer);
  }
}
