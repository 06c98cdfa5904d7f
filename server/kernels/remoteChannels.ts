// The channels of one remote kernel, kept open: one WebSocket to its engine (channelsSocket.ts)
// and, when it drops, the question to the engine whether it still has the kernel —
// - yes: `reconnecting`, a new socket opens to the same kernel, then `reconnected`;
// - the engine cannot be reached: `unreachable`, and it is asked again with backoff;
// - no (culled, deleted, engine restarted): `gone`.
// It reports what it finds as events and decides nothing about the kernel: the kernel
// (remoteKernel.ts) turns the events into its state, and says when to look (`recover`).
import { ChannelsSocket } from './channelsSocket.ts';
import { TypedEmitter } from './emitter.ts';
import type { ProtocolError } from './errors.ts';
import type { GatewayClient } from './gatewayClient.ts';
import type { Logger } from './logger.ts';
import type { Channel, KernelMessage } from './messages.ts';

export interface RemoteChannelsOptions {
  client: GatewayClient;
  logger: Logger;
  /** First wait before asking the engine again while it is unreachable; doubles up to 10 s. Default 500 ms. */
  retryDelayMs?: number;
}

export interface RemoteChannelsEvents extends Record<string, unknown[]> {
  message: [msg: KernelMessage, channel: Channel];
  /** A message that did not decode; it was dropped. */
  protocolError: [error: ProtocolError, channel: Channel];
  /** The socket closed without being closed here (engine gone, network, kernel deleted). */
  lost: [why: string];
  /** The engine still has the kernel: a new socket opens, and replies owed on the old one are lost. */
  reconnecting: [why: string];
  /** The new socket is open; `executionState` as the engine reported it. */
  reconnected: [executionState: string | undefined];
  /** The engine could not be reached (or failed); it is asked again after a pause. */
  unreachable: [error: unknown];
  /** The engine no longer has the kernel. */
  gone: [reason: string];
}

export class RemoteChannels {
  private readonly events: TypedEmitter<RemoteChannelsEvents>;
  private socket: ChannelsSocket | undefined;
  private recovering: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private wakeRetry: (() => void) | undefined;
  /** Set for good once the kernel is dead or shutting down: no socket is kept, no question asked. */
  private ended = false;

  constructor(
    private readonly kernelId: string,
    private readonly sessionId: string,
    private readonly options: RemoteChannelsOptions,
  ) {
    this.events = new TypedEmitter((event, error) => options.logger.error({ err: error, kernelId, event: String(event) }, 'remote channels listener threw'));
  }

  on<K extends keyof RemoteChannelsEvents>(event: K, listener: (...args: RemoteChannelsEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  get open(): boolean {
    return this.socket?.open === true;
  }

  /** True while the engine is being asked about the kernel (after a drop, until found or gone). */
  get isRecovering(): boolean {
    return this.recovering !== undefined;
  }

  /** Opens the socket; `timeoutMs` bounds the opening handshake (default 10 s). */
  async connect(timeoutMs = 10_000): Promise<void> {
    const { client, logger } = this.options;
    const socket = await ChannelsSocket.open(client.channelsUrl(this.kernelId, this.sessionId), {
      headers: client.headers,
      logger,
      openTimeoutMs: Math.max(1000, timeoutMs),
      onMessage: (msg, channel) => this.events.emit('message', msg, channel),
      onProtocolError: (error, channel) => this.events.emit('protocolError', error, channel),
      onLost: (why) => {
        this.socket = undefined;
        this.events.emit('lost', why);
      },
    });
    if (this.ended) {
      socket.close();
      return;
    }
    this.socket = socket;
  }

  /** Sends on the open socket; rejects when there is none. */
  send(message: KernelMessage): Promise<void> {
    if (!this.socket) return Promise.reject(new Error('the connection to the kernel engine is closed'));
    return this.socket.send(message);
  }

  /** Closes the socket (a drop, or the end): nothing is reported. */
  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }

  /** Asks the engine about the kernel (one question at a time), and reconnects or reports. */
  recover(why: string): void {
    this.options.logger.warn({ kernelId: this.kernelId, why }, 'lost the connection to a remote kernel');
    this.recovering ??= this.lookForKernel(why).finally(() => {
      this.recovering = undefined;
    });
  }

  /** The kernel is dead or shutting down: a wait for the next question ends, and none follows. */
  stopRetrying(): void {
    this.ended = true;
    clearTimeout(this.retryTimer);
    this.wakeRetry?.();
  }

  private async lookForKernel(why: string): Promise<void> {
    const { client, logger } = this.options;
    let delay = this.options.retryDelayMs ?? 500;
    for (;;) {
      if (this.ended) return;
      try {
        const model = await client.kernel(this.kernelId, 5000);
        if (!model) {
          this.events.emit('gone', `the kernel is gone from its engine (culled or lost there; ${why})`);
          return;
        }
        this.events.emit('reconnecting', why);
        await this.connect();
        if (this.ended) return;
        logger.info({ kernelId: this.kernelId }, 'reconnected to the remote kernel');
        this.events.emit('reconnected', model.execution_state);
        return;
      } catch (error) {
        if ((error as { status?: number }).status === 404) {
          this.events.emit('gone', `the kernel is gone from its engine (${why})`);
          return;
        }
        this.events.emit('unreachable', error);
        await this.pause(delay);
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeRetry = resolve;
      this.retryTimer = setTimeout(resolve, ms);
      this.retryTimer.unref();
    });
  }
}
