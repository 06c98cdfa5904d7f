// The client side of one running kernel's five ZeroMQ sockets (spec, "Introduction"):
// shell/control/stdin as DEALERs, iopub as SUB, heartbeat as REQ. Receive loops decode and
// route messages; a bad frame is reported and dropped, never fatal.
import * as zmq from 'zeromq';

import { TypedEmitter } from './emitter.ts';
import { ConnectionClosedError, ProtocolError } from './errors.ts';
import { Heartbeat } from './heartbeat.ts';
import type { Logger } from './logger.ts';
import type { Channel, KernelMessage, MessageHeader, MsgContent, MsgType, RequestChannel, RequestType } from './messages.ts';
import type { KernelRequest } from './request.ts';
import { MessageRouter } from './router.ts';
import type { RequestOptions } from './router.ts';
import { decodeMessage, encodeMessage } from './wire.ts';

/** A Jupyter connection file's content (spec, "Connection files"). */
export interface ConnectionInfo {
  transport: 'tcp' | 'ipc';
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: 'hmac-sha256';
  kernel_name?: string;
}

export interface KernelConnectionOptions {
  logger: Logger;
  /** Session id of this client; also the ZeroMQ routing id of shell and stdin (see below). */
  session?: string;
  username?: string;
  heartbeatIntervalMs?: number;
  /** Consecutive unanswered pings after which `heartbeatLost` is emitted. */
  heartbeatMaxMissed?: number;
  /** How long after a request's iopub idle its reply may still come before NoReplyError. Default 3 s. */
  missingReplyGraceMs?: number;
}

export interface ConnectionEvents extends Record<string, unknown[]> {
  /** Every decoded iopub message, after the request it belongs to (if any) saw it. */
  iopub: [msg: KernelMessage];
  /** Every `input_request`, whether or not a request has stdin listeners. */
  stdin: [msg: KernelMessage<'input_request'>];
  /** A frame set from the kernel that failed to decode or verify; it was dropped. */
  protocolError: [error: ProtocolError, channel: Channel];
  heartbeatLost: [missed: number];
}

export type { RequestOptions } from './router.ts';

function endpoint(info: ConnectionInfo, port: number): string {
  return info.transport === 'tcp' ? `tcp://${info.ip}:${port}` : `ipc://${info.ip}-${port}`;
}

export class KernelConnection {
  readonly session: string;
  readonly username: string;
  private readonly events: TypedEmitter<ConnectionEvents>;
  private readonly shell: zmq.Dealer;
  private readonly control: zmq.Dealer;
  private readonly stdin: zmq.Dealer;
  private readonly iopub: zmq.Subscriber;
  private readonly heartbeat: Heartbeat;
  private readonly router: MessageRouter;
  private readonly sendChains = new Map<zmq.Dealer, Promise<void>>();
  private readonly loops: Promise<void>[];
  private closing: Promise<void> | undefined;

  constructor(
    readonly info: ConnectionInfo,
    private readonly options: KernelConnectionOptions,
  ) {
    const log = options.logger;
    this.events = new TypedEmitter((event, error) => log.error({ err: error, event: String(event) }, 'kernel connection listener threw'));
    this.router = new MessageRouter({
      ...options,
      onIopub: (msg) => this.events.emit('iopub', msg),
      onStdin: (msg) => this.events.emit('stdin', msg),
    });
    this.session = this.router.session;
    this.username = this.router.username;
    // ipykernel sends input_request over its stdin ROUTER to the routing id the execute_request
    // came from on shell, so both DEALERs must share one routing id (jupyter_client does the same).
    this.shell = new zmq.Dealer({ routingId: this.session, linger: 0 });
    this.stdin = new zmq.Dealer({ routingId: this.session, linger: 0 });
    this.control = new zmq.Dealer({ linger: 0 });
    this.iopub = new zmq.Subscriber({ linger: 0 });
    this.iopub.subscribe();
    this.shell.connect(endpoint(info, info.shell_port));
    this.stdin.connect(endpoint(info, info.stdin_port));
    this.control.connect(endpoint(info, info.control_port));
    this.iopub.connect(endpoint(info, info.iopub_port));
    this.loops = [
      this.receiveLoop(this.shell, 'shell'),
      this.receiveLoop(this.control, 'control'),
      this.receiveLoop(this.stdin, 'stdin'),
      this.receiveLoop(this.iopub, 'iopub'),
    ];
    this.heartbeat = new Heartbeat({
      endpoint: endpoint(info, info.hb_port),
      intervalMs: options.heartbeatIntervalMs ?? 1000,
      maxMissed: options.heartbeatMaxMissed ?? 5,
      logger: log,
      onLost: (missed) => this.events.emit('heartbeatLost', missed),
    });
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  on<K extends keyof ConnectionEvents>(event: K, listener: (...args: ConnectionEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  /** Listens to every iopub message of this kernel. */
  onIopub(listener: (msg: KernelMessage) => void): () => void {
    return this.events.on('iopub', listener);
  }

  /** Sends a request on shell or control and tracks its reply, iopub and stdin traffic. */
  request<T extends RequestType>(
    channel: RequestChannel,
    msgType: T,
    content: MsgContent[T],
    options: RequestOptions = {},
  ): KernelRequest<T> {
    const request = this.router.request(channel, msgType, content, options);
    if (this.closed) {
      request.fail(new ConnectionClosedError('kernel connection is closed'));
      return request;
    }
    this.send(channel === 'shell' ? this.shell : this.control, request.message).catch((error: unknown) =>
      request.fail(error instanceof Error ? error : new Error(String(error))),
    );
    return request;
  }

  /** Fire-and-forget message on shell (e.g. `comm_msg`, `comm_open`, `comm_close`). */
  async sendShell<T extends MsgType>(
    msgType: T,
    content: MsgContent[T],
    options: RequestOptions & { parent?: KernelMessage | MessageHeader } = {},
  ): Promise<KernelMessage<T>> {
    this.assertOpen();
    const message = this.router.message(msgType, content, 'shell', options);
    await this.send(this.shell, message);
    return message;
  }

  /** Answers an `input_request` (spec, "Messages on the stdin ROUTER/DEALER channel"). */
  async sendStdin(content: MsgContent['input_reply'], parent?: KernelMessage | MessageHeader): Promise<void> {
    this.assertOpen();
    const message = this.router.message('input_reply', content, 'stdin', { parent });
    await this.send(this.stdin, message);
  }

  /** Starts heartbeat monitoring; call once the kernel has answered (see Heartbeat.start). */
  startHeartbeat(): void {
    this.heartbeat.start();
  }

  /** Stops the heartbeat, closes all sockets and fails pending requests. Idempotent. */
  close(reason = 'kernel connection closed'): Promise<void> {
    return (this.closing ??= this.doClose(reason));
  }

  private async doClose(reason: string): Promise<void> {
    await this.heartbeat.stop();
    for (const socket of [this.shell, this.control, this.stdin, this.iopub]) socket.close();
    await Promise.all(this.loops);
    this.router.failAll(new ConnectionClosedError(reason));
    this.events.removeAll();
  }

  private assertOpen(): void {
    if (this.closed) throw new ConnectionClosedError('kernel connection is closed');
  }

  // zeromq v6 allows one pending send per socket, so sends on a socket are chained.
  private send(socket: zmq.Dealer, message: KernelMessage): Promise<void> {
    const frames = encodeMessage(message, this.info.key);
    const previous = this.sendChains.get(socket) ?? Promise.resolve();
    const sent = previous.then(() => socket.send(frames));
    // The chain only orders sends; the outcome of this send is reported through `sent`.
    this.sendChains.set(socket, sent.catch(() => undefined));
    return sent;
  }

  private async receiveLoop(socket: zmq.Dealer | zmq.Subscriber, channel: Channel): Promise<void> {
    try {
      for await (const frames of socket) {
        if (this.closed) break;
        this.dispatch(frames, channel);
      }
    } catch (error) {
      if (!this.closed) this.options.logger.error({ err: error, channel }, 'kernel socket receive loop failed');
    }
  }

  private dispatch(frames: Buffer[], channel: Channel): void {
    let msg: KernelMessage;
    try {
      msg = decodeMessage(frames, this.info.key, channel);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.options.logger.warn({ err: error, channel }, 'dropped a malformed message from the kernel');
      this.events.emit('protocolError', error, channel);
      return;
    }
    this.router.route(msg, channel);
  }
}
