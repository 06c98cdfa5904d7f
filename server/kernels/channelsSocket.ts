// One WebSocket to a remote kernel's channels (`/api/kernels/<id>/channels`) in the default
// framing that Jupyter Server and Jupyter Enterprise Gateway both accept: a text frame of JSON
// with a `channel` field, or, for a message with buffers (ipywidgets), a binary frame of offsets,
// that JSON and the buffers.
//
// Why not @jupyterlab/services' KernelConnection: it brings a second request/future machinery,
// its own comm handling and kernel status tracking, all of which Cohort already has for local
// kernels (request.ts, router.ts, the widget bridge) and which the execution layer is built on;
// wrapping one in the other would mean two futures per request and two views of a comm. Only its
// framing code (`serialize`/`deserialize`, pure functions, running in Node as it does in the
// browser) is used, so the byte layout is the one JupyterLab itself sends. The socket is `ws`,
// which the sync server already uses.
import { deserialize, serialize } from '@jupyterlab/services/lib/kernel/serialize.js';
import type { KernelMessage as LabMessage } from '@jupyterlab/services';
import WebSocket from 'ws';

import { ProtocolError } from './errors.ts';
import type { Logger } from './logger.ts';
import { CHANNELS } from './messages.ts';
import { isObject, validateMessageParts } from './messageShapes.ts';
import type { Channel, KernelMessage } from './messages.ts';

export interface ChannelsSocketOptions {
  headers: Record<string, string>;
  logger: Logger;
  /** A decoded message from the kernel. */
  onMessage: (msg: KernelMessage, channel: Channel) => void;
  /** A message that did not decode; it was dropped. */
  onProtocolError: (error: ProtocolError, channel: Channel) => void;
  /** The socket closed without `close()` being called (engine gone, network, kernel deleted). */
  onLost: (why: string) => void;
  /** How long opening may take. Default 10 s. */
  openTimeoutMs?: number;
  /** A ping this often; no pong by the next one counts as a lost connection. Default 10 s. */
  pingIntervalMs?: number;
}

export class ChannelsSocket {
  private closedByUs = false;
  private readonly pinger: NodeJS.Timeout;
  private awaitingPong = false;

  private constructor(
    private readonly ws: WebSocket,
    private readonly options: ChannelsSocketOptions,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => this.receive(data, isBinary));
    ws.on('pong', () => (this.awaitingPong = false));
    ws.on('close', (code, reason) => this.lost(`the kernel engine closed the connection (${code}${reason.length > 0 ? `: ${reason.toString()}` : ''})`));
    ws.on('error', (error) => this.lost(`connection to the kernel engine failed: ${error.message}`));
    // A half-open TCP connection (an engine that froze, a dropped route) closes nothing: only a
    // missing pong shows it, and runs must not wait on it for ever.
    this.pinger = setInterval(() => {
      if (this.awaitingPong) {
        this.lost('the kernel engine stopped answering pings');
        return;
      }
      this.awaitingPong = true;
      try {
        ws.ping();
      } catch (error) {
        this.lost(`connection to the kernel engine failed: ${(error as Error).message}`);
      }
    }, options.pingIntervalMs ?? 10_000);
    this.pinger.unref();
  }

  /** Opens the socket; rejects if it does not open (the caller decides what that means). */
  static open(url: string, options: ChannelsSocketOptions): Promise<ChannelsSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: options.headers, handshakeTimeout: options.openTimeoutMs ?? 10_000 });
      const fail = (error: Error) => {
        ws.removeAllListeners();
        ws.on('error', () => undefined);
        ws.terminate();
        reject(error);
      };
      ws.once('unexpected-response', (_req, res) => fail(Object.assign(new Error(`the kernel engine refused the channels connection (${res.statusCode})`), { status: res.statusCode })));
      ws.once('error', fail);
      ws.once('open', () => {
        ws.removeAllListeners();
        resolve(new ChannelsSocket(ws, options));
      });
    });
  }

  get open(): boolean {
    return !this.closedByUs && this.ws.readyState === WebSocket.OPEN;
  }

  send(msg: KernelMessage): Promise<void> {
    const { header, parent_header, metadata, content, channel } = msg;
    // `serialize` takes the views' whole ArrayBuffers (for a Node Buffer, the shared pool slab):
    // each buffer goes as an exact copy.
    const buffers = msg.buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
    const data = serialize({ header, parent_header, metadata, content, channel, buffers } as unknown as LabMessage.IMessage);
    return new Promise((resolve, reject) => {
      if (!this.open) {
        reject(new Error('the connection to the kernel engine is closed'));
        return;
      }
      this.ws.send(typeof data === 'string' ? data : Buffer.from(data), (error) => (error ? reject(error) : resolve()));
    });
  }

  close(): void {
    if (this.closedByUs) return;
    this.closedByUs = true;
    clearInterval(this.pinger);
    this.ws.removeAllListeners();
    this.ws.on('error', () => undefined);
    this.ws.close();
    // A peer that does not answer the close handshake must not keep the socket (or the process) alive.
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }

  private lost(why: string): void {
    if (this.closedByUs) return;
    this.close();
    this.options.onLost(why);
  }

  private receive(data: Buffer, isBinary: boolean): void {
    let msg: KernelMessage;
    let channel: Channel = 'iopub';
    try {
      const raw: unknown = isBinary
        ? deserialize(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer)
        : JSON.parse(data.toString('utf8'));
      if (!isObject(raw) || !CHANNELS.includes(raw.channel as Channel)) throw new ProtocolError('a message from the kernel engine names no known channel');
      channel = raw.channel as Channel;
      const buffers = Array.isArray(raw.buffers) ? raw.buffers.map((b: DataView) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)) : [];
      msg = { ...validateMessageParts(raw as Parameters<typeof validateMessageParts>[0]), buffers, identities: [], channel };
    } catch (error) {
      const protocolError = error instanceof ProtocolError ? error : new ProtocolError(`undecodable message from the kernel engine: ${(error as Error).message}`);
      this.options.logger.warn({ err: protocolError, channel }, 'dropped a malformed message from the kernel engine');
      this.options.onProtocolError(protocolError, channel);
      return;
    }
    this.options.onMessage(msg, channel);
  }
}
