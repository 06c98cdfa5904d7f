// Heartbeat (spec, "Heartbeat for kernels"): the kernel echoes whatever it gets on its hb socket,
// from a thread that keeps answering while the kernel executes, so missed echoes mean the process
// is dead or wedged, not busy.
import * as zmq from 'zeromq';

import type { Logger } from './logger.ts';

export interface HeartbeatOptions {
  endpoint: string;
  intervalMs: number;
  maxMissed: number;
  logger: Logger;
  onLost: (missed: number) => void;
}

export class Heartbeat {
  private readonly socket: zmq.Request;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private missed = 0;
  private stopped = false;

  constructor(private readonly options: HeartbeatOptions) {
    // relaxed + correlate let a REQ socket send a new ping after an unanswered one (and ignore a
    // late echo), instead of being stuck waiting for a reply that will never come.
    this.socket = new zmq.Request({ linger: 0, relaxed: true, correlate: true, receiveTimeout: options.intervalMs, sendTimeout: options.intervalMs });
    this.socket.connect(options.endpoint);
  }

  /**
   * Starts pinging. Called once the kernel answered kernel_info: pings sent while the process is
   * still booting go unanswered, and counting them would use up `maxMissed` before it started.
   */
  start(): void {
    if (this.stopped || this.timer) return;
    this.schedule();
  }

  /** Ends the ping loop and closes the socket. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket.close();
    await this.running;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.running = this.ping().finally(() => {
        this.running = undefined;
        if (!this.stopped && this.missed < this.options.maxMissed) this.schedule();
      });
    }, this.options.intervalMs);
  }

  private async ping(): Promise<void> {
    try {
      await this.socket.send('ping');
      await this.socket.receive();
      this.missed = 0;
    } catch (error) {
      if (this.stopped) return;
      if (!isTimeout(error)) this.options.logger.warn({ err: error }, 'kernel heartbeat ping failed');
      this.missed += 1;
      if (this.missed >= this.options.maxMissed) this.options.onLost(this.missed);
    }
  }
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'EAGAIN';
}
