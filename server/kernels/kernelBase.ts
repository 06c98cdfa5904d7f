// What a local and a remote kernel share: their listeners (which survive restarts), their state
// and how it changes, and `execute` as a notebook front end sends it. Each subclass carries the
// messages its own way (ZeroMQ here, a WebSocket to an engine) and stops its own way.
import { TypedEmitter } from './emitter.ts';
import { ConnectionClosedError } from './errors.ts';
import type { Logger } from './logger.ts';
import type { KernelMessage, MessageHeader, MsgContent, MsgType, RequestChannel, RequestType } from './messages.ts';
import type { Kernel, KernelEvents, KernelState } from './provider.ts';
import type { KernelRequest } from './request.ts';
import type { RequestOptions } from './router.ts';

export abstract class KernelBase implements Kernel {
  abstract readonly pid: number | undefined;
  protected readonly events: TypedEmitter<KernelEvents>;
  protected stateValue: KernelState;
  protected stopping: Promise<void> | undefined;
  protected restarting: Promise<void> | undefined;

  constructor(
    readonly id: string,
    logger: Logger,
    initialState: KernelState,
  ) {
    this.stateValue = initialState;
    this.events = new TypedEmitter((event, error) => logger.error({ err: error, kernelId: id, event: String(event) }, 'kernel event listener threw'));
  }

  abstract request<T extends RequestType>(channel: RequestChannel, msgType: T, content: MsgContent[T], options?: RequestOptions): KernelRequest<T>;
  abstract sendShell<T extends MsgType>(msgType: T, content: MsgContent[T], options?: RequestOptions & { parent?: KernelMessage | MessageHeader }): Promise<KernelMessage<T>>;
  abstract sendStdin(content: MsgContent['input_reply'], parent?: KernelMessage | MessageHeader): Promise<void>;
  abstract interrupt(): Promise<void>;
  /** A fresh kernel process under the same identity; concurrent calls share one restart. */
  protected abstract doRestart(): Promise<void>;
  /** Stops the kernel for good; runs once. */
  protected abstract doShutdown(): Promise<void>;

  get state(): KernelState {
    return this.stateValue;
  }
  /** False once the kernel is dead or shut down; a restart keeps it alive. */
  get alive(): boolean {
    return this.stateValue !== 'dead' && this.stopping === undefined;
  }

  on<K extends keyof KernelEvents>(event: K, listener: (...args: KernelEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  onIopub(listener: (msg: KernelMessage) => void): () => void {
    return this.events.on('iopub', listener);
  }

  /** Stops the kernel's process and starts a fresh one (same id and listeners). */
  restart(): Promise<void> {
    this.assertAlive();
    return (this.restarting ??= this.doRestart().finally(() => {
      this.restarting = undefined;
    }));
  }

  /** Shuts the kernel down for good. Idempotent. */
  shutdown(): Promise<void> {
    return (this.stopping ??= this.doShutdown());
  }

  /** Runs code (spec: execute_request) with the defaults a notebook front end uses. */
  execute(code: string, options: Partial<MsgContent['execute_request']> & RequestOptions = {}): KernelRequest<'execute_request'> {
    const { metadata, buffers, ...content } = options;
    return this.request(
      'shell',
      'execute_request',
      { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: true, stop_on_error: true, ...content },
      { ...(metadata ? { metadata } : {}), ...(buffers ? { buffers } : {}) },
    );
  }

  protected markDead(reason: string): void {
    this.setState('dead');
    this.events.emit('dead', reason);
  }

  protected setState(state: KernelState): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    this.events.emit('status', state);
  }

  protected assertAlive(): void {
    if (!this.alive) throw new ConnectionClosedError(`kernel ${this.id} is ${this.stopping ? 'shut down' : 'dead'}`);
  }
}
