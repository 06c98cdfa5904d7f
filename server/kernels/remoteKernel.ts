// A kernel on a remote engine (Jupyter Enterprise Gateway, Jupyter Server), seen through the
// same Kernel interface as a local one: REST for its life cycle (gatewayClient.ts), its channels
// kept open by remoteChannels.ts. The engine owns the process; this object owns the requests and
// says plainly what state the kernel is in:
// - the socket drops, the engine still has the kernel → reconnect, same kernel;
// - the engine cannot be reached → `unreachable`: requests fail at once with "kernel engine
//   unreachable, retrying", and the kernel is looked for again with backoff;
// - the engine no longer has it (culled, deleted, engine restarted) or restarted it after a
//   crash → `dead`, as a local kernel whose process ended; the manager then replaces it.
import { ConnectionClosedError, KernelStartError } from './errors.ts';
import type { GatewayClient } from './gatewayClient.ts';
import type { Logger } from './logger.ts';
import { isMessageType } from './messages.ts';
import type { Channel, KernelMessage, MessageHeader, MsgContent, MsgType, RequestChannel, RequestType } from './messages.ts';
import { KernelBase } from './kernelBase.ts';
import { RemoteChannels } from './remoteChannels.ts';
import type { KernelRequest } from './request.ts';
import { MessageRouter } from './router.ts';
import type { RequestOptions } from './router.ts';

export const UNREACHABLE_MESSAGE = 'kernel engine unreachable, retrying';

export interface RemoteKernelOptions {
  client: GatewayClient;
  logger: Logger;
  /** How long a start (or restart) may take until the kernel answers. */
  startTimeoutMs: number;
  /** First wait before looking for the kernel again while the engine is unreachable; doubles up to 10 s. Default 500 ms. */
  retryDelayMs?: number;
  /** Called once the kernel is shut down (the provider stops tracking it). */
  onShutdown?: (kernel: RemoteKernel) => void;
}

export class RemoteKernel extends KernelBase {
  readonly pid = undefined;
  private readonly router: MessageRouter;
  private readonly channels: RemoteChannels;

  /** Starts a kernel on the engine and resolves once it answered over its channels. */
  static async start(specName: string, env: Record<string, string>, options: RemoteKernelOptions): Promise<RemoteKernel> {
    const deadline = Date.now() + options.startTimeoutMs;
    const model = await options.client.startKernel(specName, env, options.startTimeoutMs);
    const kernel = new RemoteKernel(model.id, options);
    try {
      // A busy engine (a class starting 30 kernels at once) may be slow to accept the socket too.
      await kernel.channels.connect(deadline - Date.now());
      await kernel.waitUntilReady(deadline);
    } catch (error) {
      // Started there but unusable here: it must not stay on the engine.
      await kernel.shutdown();
      throw error instanceof KernelStartError ? error : new KernelStartError(`remote kernel ${model.id} did not answer: ${(error as Error).message}`, { cause: error });
    }
    kernel.setState('idle');
    options.logger.info({ kernelId: model.id, spec: specName, engine: options.client.url }, 'remote kernel started');
    return kernel;
  }

  private constructor(
    id: string,
    private readonly options: RemoteKernelOptions,
  ) {
    super(id, options.logger, 'starting');
    this.router = new MessageRouter({
      logger: options.logger,
      onIopub: (msg) => this.events.emit('iopub', msg),
      onStdin: (msg) => this.events.emit('stdin', msg),
    });
    this.channels = new RemoteChannels(id, this.router.session, options);
    this.channels.on('message', (msg, channel) => this.receive(msg, channel));
    this.channels.on('protocolError', (error, channel) => this.events.emit('protocolError', error, channel));
    this.channels.on('lost', (why) => {
      if (!this.stopping && this.stateValue !== 'dead' && !this.restarting) this.channels.recover(why);
    });
    // Whatever was in flight may have lost its reply with the socket: it fails now rather than wait for ever.
    this.channels.on('reconnecting', (why) => this.router.failAll(new ConnectionClosedError(`the connection to the kernel engine was lost (${why})`)));
    this.channels.on('reconnected', (executionState) => this.setState(executionState === 'busy' ? 'busy' : 'idle'));
    this.channels.on('unreachable', (error) => {
      if (this.stateValue !== 'unreachable') options.logger.warn({ err: error, kernelId: id }, 'kernel engine unreachable; retrying');
      this.router.failAll(new ConnectionClosedError(UNREACHABLE_MESSAGE));
      this.setState('unreachable');
    });
    this.channels.on('gone', (reason) => this.die(reason));
  }

  request<T extends RequestType>(channel: RequestChannel, msgType: T, content: MsgContent[T], options?: RequestOptions): KernelRequest<T> {
    const request = this.router.request(channel, msgType, content, options);
    if (!this.channels.open) {
      request.fail(this.notConnectedError());
      return request;
    }
    this.channels.send(request.message).catch((error: unknown) => request.fail(new ConnectionClosedError((error as Error).message)));
    return request;
  }

  async sendShell<T extends MsgType>(msgType: T, content: MsgContent[T], options: RequestOptions & { parent?: KernelMessage | MessageHeader } = {}): Promise<KernelMessage<T>> {
    const message = this.router.message(msgType, content, 'shell', options);
    this.assertConnected();
    await this.channels.send(message);
    return message;
  }

  async sendStdin(content: MsgContent['input_reply'], parent?: KernelMessage | MessageHeader): Promise<void> {
    this.assertConnected();
    await this.channels.send(this.router.message('input_reply', content, 'stdin', { parent }));
  }

  async interrupt(): Promise<void> {
    this.assertAlive();
    await this.options.client.interrupt(this.id);
  }

  protected async doRestart(): Promise<void> {
    this.setState('restarting');
    this.router.failAll(new ConnectionClosedError('kernel restarted'));
    try {
      await this.options.client.restart(this.id, this.options.startTimeoutMs);
      if (this.stopping) return;
      if (!this.channels.open) await this.channels.connect(this.options.startTimeoutMs);
      await this.waitUntilReady(Date.now() + this.options.startTimeoutMs);
    } catch (error) {
      if (this.stopping) return;
      this.options.logger.error({ err: error, kernelId: this.id }, 'remote kernel restart failed');
      this.die(`restart failed: ${(error as Error).message}`);
      throw error;
    }
    if (this.stopping) return;
    this.setState('idle');
    this.events.emit('restarted');
  }

  /** Closes the channels and deletes the kernel on the engine. */
  protected async doShutdown(): Promise<void> {
    this.channels.stopRetrying();
    if (this.restarting) await this.restarting.catch(() => undefined);
    this.channels.close();
    this.router.failAll(new ConnectionClosedError('kernel shut down'));
    try {
      await this.options.client.deleteKernel(this.id);
    } catch (error) {
      // Nothing more can be done from here; the engine's own culling ends it (README, "Scaling out").
      this.options.logger.error({ err: error, kernelId: this.id }, 'could not delete the remote kernel on its engine');
    }
    if (this.stateValue !== 'dead') this.setState('dead');
    this.events.removeAll();
    this.options.onShutdown?.(this);
  }

  private receive(msg: KernelMessage, channel: Channel): void {
    if (channel === 'iopub' && isMessageType(msg, 'status')) {
      // The engine's own status messages: 'restarting' when it restarted a crashed kernel by
      // itself, 'dead' when that failed. Either way the process running the user's code ended:
      // reported as a death, as for a local kernel whose process exited.
      const state: string = msg.content.execution_state;
      if (state === 'dead' || (state === 'restarting' && !this.restarting)) {
        this.die(state === 'dead' ? 'the kernel engine reports the kernel dead' : 'the kernel process ended (its engine restarted it)');
        return;
      }
      if (state === 'idle' || state === 'busy' || state === 'starting') {
        if (!this.restarting && this.stateValue !== 'starting') this.setState(state);
      }
    }
    this.router.route(msg, channel);
  }

  /** Something says the kernel may be gone: look for it on the engine (and reconnect, or report it dead). */
  verify(why: string): void {
    if (!this.alive || this.channels.isRecovering || this.restarting) return;
    this.channels.close();
    this.channels.recover(why);
  }

  /**
   * Repeats kernel_info_request until one is done: its reply and its iopub idle arrived, so the
   * engine relays iopub to this socket and a first run cannot lose its outputs.
   */
  private async waitUntilReady(deadline: number): Promise<void> {
    for (;;) {
      const request = this.request('shell', 'kernel_info_request', {});
      const answered = await Promise.race([request.done.then(() => true, () => false), delayed(1000, false)]);
      if (answered) return;
      if (!this.alive && !this.restarting) throw new ConnectionClosedError(`kernel ${this.id} ended while starting`);
      if (Date.now() > deadline) throw new KernelStartError(`remote kernel ${this.id} did not answer kernel_info_request in time`);
      if (!this.channels.open) await this.channels.connect(deadline - Date.now());
    }
  }

  private die(reason: string): void {
    if (this.stopping || this.stateValue === 'dead') return;
    this.options.logger.warn({ kernelId: this.id, reason }, 'remote kernel died');
    this.channels.stopRetrying();
    this.channels.close();
    this.markDead(reason);
    this.router.failAll(new ConnectionClosedError(reason));
  }

  private assertConnected(): void {
    this.assertAlive();
    if (!this.channels.open) throw this.notConnectedError();
  }

  private notConnectedError(): ConnectionClosedError {
    if (!this.alive) return new ConnectionClosedError(`kernel ${this.id} is ${this.stopping ? 'shut down' : 'dead'}`);
    if (this.stateValue === 'unreachable') return new ConnectionClosedError(UNREACHABLE_MESSAGE);
    return new ConnectionClosedError('reconnecting to the kernel engine');
  }
}

function delayed<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms).unref());
}
