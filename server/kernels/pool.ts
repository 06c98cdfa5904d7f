// Warm pool: kernels of the default spec started ahead of time, so a user's first run does
// not wait for a Python start-up. Refilled in the background after each take.
import type { Logger } from './logger.ts';
import type { Kernel } from './provider.ts';

/** What the pool needs of a kernel. */
export type PoolableKernel = Pick<Kernel, 'id' | 'pid' | 'alive' | 'state' | 'on' | 'shutdown'>;

export interface KernelPoolOptions<K extends PoolableKernel> {
  size: number;
  start: () => Promise<K>;
  logger: Logger;
  /** Consecutive start failures after which refilling pauses until the next take. Default 3. */
  maxConsecutiveFailures?: number;
}

export class KernelPool<K extends PoolableKernel = Kernel> {
  private readonly ready: K[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly discarding = new Set<Promise<void>>();
  private readonly offDead = new Map<K, () => void>();
  private failures = 0;
  private disposing: Promise<void> | undefined;
  private filledWaiters: (() => void)[] = [];

  constructor(private readonly options: KernelPoolOptions<K>) {}

  get size(): number {
    return this.options.size;
  }

  get readyCount(): number {
    return this.ready.length;
  }

  /** Takes a ready kernel (removing it from the pool) and starts a replacement. */
  take(): K | undefined {
    if (this.disposing) return undefined;
    let kernel: K | undefined;
    while ((kernel = this.ready.shift())) {
      this.offDead.get(kernel)?.();
      this.offDead.delete(kernel);
      if (kernel.alive && kernel.state === 'idle') break;
      this.discard(kernel);
    }
    this.failures = 0;
    this.fill();
    return kernel;
  }

  /** Starts kernels in the background until ready + starting reaches the pool size. */
  fill(): void {
    if (this.disposing) {
      this.notifyIfSettled();
      return;
    }
    const maxFailures = this.options.maxConsecutiveFailures ?? 3;
    while (this.ready.length + this.inFlight.size < this.options.size && this.failures < maxFailures) {
      const started: Promise<void> = this.startOne().finally(() => {
        this.inFlight.delete(started);
        // Refill after a failure too; `failures` bounds the retries.
        this.fill();
      });
      this.inFlight.add(started);
    }
    this.notifyIfSettled();
  }

  /** Resolves when no start is in flight any more (the pool is full, or starting failed). */
  settled(): Promise<void> {
    if (this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.filledWaiters.push(resolve));
  }

  /** Pids of ready kernels that run on this machine (for diagnostics and tests). */
  pids(): number[] {
    return this.ready.flatMap((k) => (k.pid === undefined ? [] : [k.pid]));
  }

  dispose(): Promise<void> {
    return (this.disposing ??= this.doDispose());
  }

  private async doDispose(): Promise<void> {
    await Promise.all([...this.inFlight]);
    const kernels = this.ready.splice(0);
    for (const off of this.offDead.values()) off();
    this.offDead.clear();
    await Promise.all([...kernels.map((k) => k.shutdown()), ...this.discarding]);
  }

  private async startOne(): Promise<void> {
    let kernel: K;
    try {
      kernel = await this.options.start();
    } catch (error) {
      this.failures += 1;
      this.options.logger.error({ err: error, failures: this.failures }, 'starting a pool kernel failed');
      return;
    }
    this.failures = 0;
    if (this.disposing) {
      await kernel.shutdown();
      return;
    }
    this.ready.push(kernel);
    this.offDead.set(
      kernel,
      kernel.on('dead', (reason) => {
        this.options.logger.warn({ kernelId: kernel.id, reason }, 'pool kernel died; replacing it');
        const at = this.ready.indexOf(kernel);
        if (at >= 0) this.ready.splice(at, 1);
        this.offDead.delete(kernel);
        this.discard(kernel);
        this.fill();
      }),
    );
  }

  private discard(kernel: K): void {
    const done: Promise<void> = kernel
      .shutdown()
      .catch((error: unknown) => this.options.logger.error({ err: error, kernelId: kernel.id }, 'shutting down a discarded pool kernel failed'))
      .finally(() => this.discarding.delete(done));
    this.discarding.add(done);
  }

  private notifyIfSettled(): void {
    if (this.inFlight.size > 0) return;
    const waiters = this.filledWaiters.splice(0);
    for (const resolve of waiters) resolve();
  }
}
