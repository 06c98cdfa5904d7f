// KernelManager: the map from keys to kernels — one kernel per (notebook, user) plus one shared
// kernel per notebook, obtained on first use (kernelSource.ts: from the warm pool when possible)
// within the caps (kernelCaps.ts), culled when idle, all stopped on dispose. Each kernel's status
// and death are reported per key.
import { TypedEmitter } from './emitter.ts';
import { NoSuchKernelError } from './errors.ts';
import type { KernelLimitScope } from './errors.ts';
import { limitPassed } from './kernelCaps.ts';
import type { KernelCaps } from './kernelCaps.ts';
import { kernelKeyId } from './kernelKeys.ts';
import type { KernelKey } from './kernelKeys.ts';
import { KernelSource } from './kernelSource.ts';
import type { KernelSourceOptions } from './kernelSource.ts';
import type { Kernel, KernelProvider, KernelState } from './provider.ts';

export type ManagedKernelStatus = KernelState | 'culled';

export interface ManagedKernel {
  readonly key: KernelKey;
  readonly keyId: string;
  readonly kernel: Kernel;
  readonly specName: string;
  /** True when the kernel was taken from the warm pool rather than started for this key. */
  readonly fromPool: boolean;
  readonly startedAt: number;
  /** Last touch() or kernel status change (ms since epoch). */
  readonly lastActivity: number;
}

export interface KernelManagerEvents extends Record<string, unknown[]> {
  status: [key: KernelKey, status: ManagedKernelStatus];
  /** The kernel ended on its own (crash, lost heartbeat, failed restart); it is removed next. */
  dead: [key: KernelKey, reason: string];
  /** The key has no kernel any more (shutdown, culled, dead, dispose). */
  removed: [key: KernelKey];
  /** A start was refused by a limit (counted in the metrics). */
  limit: [scope: KernelLimitScope];
}

export interface KernelManagerOptions extends KernelSourceOptions, KernelCaps {
  /** An idle kernel untouched this long is shut down. Default 1 h; 0 disables culling. */
  cullIdleMs?: number;
  /** How often culling checks. Default cullIdleMs / 4, between 50 ms and 60 s. */
  cullIntervalMs?: number;
}

interface Entry extends ManagedKernel {
  /** The user whose per-user cap this kernel counts toward (for a shared kernel: who started it). */
  chargedTo?: string;
  lastActivity: number;
  lastStatus: ManagedKernelStatus;
  off: (() => void)[];
}

export class KernelManager {
  private readonly entries = new Map<string, Entry>();
  private readonly starting = new Map<string, { key: KernelKey; promise: Promise<ManagedKernel>; chargedTo?: string }>();
  private readonly events: TypedEmitter<KernelManagerEvents>;
  private readonly source: KernelSource;
  private readonly cullTimer: NodeJS.Timeout | undefined;
  private disposing: Promise<void> | undefined;

  constructor(private readonly options: KernelManagerOptions) {
    const { logger } = options;
    this.events = new TypedEmitter((event, error) => logger.error({ err: error, event: String(event) }, 'kernel manager listener threw'));
    this.source = new KernelSource(options);
    const cullIdleMs = options.cullIdleMs ?? 3_600_000;
    if (cullIdleMs > 0) {
      const interval = options.cullIntervalMs ?? Math.min(60_000, Math.max(50, Math.floor(cullIdleMs / 4)));
      this.cullTimer = setInterval(() => this.cull(cullIdleMs), interval);
      this.cullTimer.unref();
    }
  }

  on<K extends keyof KernelManagerEvents>(event: K, listener: (...args: KernelManagerEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  /**
   * The kernel of `key`, started on first use (concurrent first calls share one start).
   * `specName` only matters when a kernel starts; default: the default spec.
   * Throws KernelLimitError when a limit is reached.
   */
  async kernelFor(key: KernelKey, specName?: string, startedBy?: string): Promise<ManagedKernel> {
    if (this.disposing) throw new Error('kernel manager is disposed');
    const id = kernelKeyId(key);
    const existing = this.entries.get(id);
    if (existing) {
      existing.lastActivity = Date.now();
      return existing;
    }
    const pending = this.starting.get(id);
    if (pending) return pending.promise;
    const chargedTo = key.shared ? startedBy : key.userId;
    this.checkLimits(chargedTo);
    const promise = this.start(key, id, specName ?? this.source.defaultSpecName, chargedTo).finally(() => this.starting.delete(id));
    this.starting.set(id, { key, promise, chargedTo });
    return promise;
  }

  /**
   * Throws KernelLimitError now if `key` has no kernel (running or starting) and starting one
   * would pass a limit: a request can be refused before its runs are queued.
   */
  assertCanStart(key: KernelKey, startedBy?: string): void {
    const id = kernelKeyId(key);
    if (this.entries.has(id) || this.starting.has(id)) return;
    this.checkLimits(key.shared ? startedBy : key.userId);
  }

  get(key: KernelKey): ManagedKernel | undefined {
    return this.entries.get(kernelKeyId(key));
  }

  list(): ManagedKernel[] {
    return [...this.entries.values()];
  }

  /** Marks activity on `key`'s kernel, postponing its culling. */
  touch(key: KernelKey): void {
    const entry = this.entries.get(kernelKeyId(key));
    if (entry) entry.lastActivity = Date.now();
  }

  async interrupt(key: KernelKey): Promise<void> {
    const entry = this.require(key);
    entry.lastActivity = Date.now();
    await entry.kernel.interrupt();
  }

  /** Restarts `key`'s kernel; listen to the kernel's `restarted` event to drop its widgets and requests. */
  async restart(key: KernelKey): Promise<void> {
    const entry = this.require(key);
    entry.lastActivity = Date.now();
    await entry.kernel.restart();
  }

  /** Stops `key`'s kernel (also one still starting). */
  async shutdown(key: KernelKey): Promise<void> {
    const id = kernelKeyId(key);
    const pending = this.starting.get(id);
    if (pending) await pending.promise.catch(() => undefined); // a failed start left nothing to stop
    const entry = this.entries.get(id);
    if (!entry) throw new NoSuchKernelError(`no kernel for ${id}`);
    await this.stopEntry(entry, 'dead');
  }

  /** Pool state, for health reports and tests. */
  poolInfo(): { size: number; ready: number; pids: number[]; settled: Promise<void> } {
    return this.source.poolInfo();
  }

  /** Stops every kernel, pooled ones included. Idempotent. */
  dispose(): Promise<void> {
    return (this.disposing ??= this.doDispose());
  }

  private async doDispose(): Promise<void> {
    clearInterval(this.cullTimer);
    await Promise.all([...this.starting.values()].map((s) => s.promise.catch(() => undefined)));
    await Promise.all([...this.entries.values()].map((e) => this.stopEntry(e, 'dead')));
    await this.source.dispose();
    this.events.removeAll();
  }

  /** Where kernels run: `local` or `gateway`. */
  get providerName(): KernelProvider['name'] {
    return this.source.providerName;
  }

  private async start(key: KernelKey, id: string, specName: string, chargedTo: string | undefined): Promise<ManagedKernel> {
    this.events.emit('status', key, 'starting');
    let kernel: Kernel;
    let fromPool: boolean;
    try {
      ({ kernel, fromPool } = await this.source.kernelFor(key, id, specName, chargedTo));
    } catch (error) {
      this.options.logger.error({ err: error, key: id, specName }, 'starting a kernel failed');
      this.events.emit('status', key, 'dead');
      throw error;
    }
    if (this.disposing) {
      await kernel.shutdown();
      throw new Error('kernel manager was disposed while the kernel started');
    }
    const now = Date.now();
    const entry: Entry = { key, keyId: id, kernel, specName, fromPool, startedAt: now, lastActivity: now, lastStatus: kernel.state, off: [], chargedTo };
    entry.off = [
      kernel.on('status', (state) => {
        entry.lastActivity = Date.now();
        entry.lastStatus = state;
        this.events.emit('status', key, state);
      }),
      kernel.on('dead', (reason) => {
        this.events.emit('dead', key, reason);
        this.stopEntry(entry, 'dead').catch((err: unknown) => this.options.logger.error({ err, key: entry.keyId }, 'removing a dead kernel failed'));
      }),
    ];
    this.entries.set(id, entry);
    this.options.logger.info({ key: id, kernelId: kernel.id, pid: kernel.pid, fromPool: entry.fromPool }, 'kernel assigned');
    this.events.emit('status', key, kernel.state);
    return entry;
  }

  private async stopEntry(entry: Entry, finalStatus: 'dead' | 'culled'): Promise<void> {
    if (this.entries.get(entry.keyId) !== entry) return;
    this.entries.delete(entry.keyId);
    for (const off of entry.off) off();
    if (finalStatus === 'culled') this.events.emit('status', entry.key, 'culled');
    try {
      await entry.kernel.shutdown();
    } catch (error) {
      this.options.logger.error({ err: error, key: entry.keyId, kernelId: entry.kernel.id }, 'kernel shutdown failed');
    }
    if (finalStatus === 'dead' && entry.lastStatus !== 'dead') this.events.emit('status', entry.key, 'dead');
    this.events.emit('removed', entry.key);
  }

  private cull(idleMs: number): void {
    const now = Date.now();
    for (const entry of this.entries.values()) {
      // An unreachable remote kernel counts as idle: an engine gone for good must not keep it for ever.
      const idle = entry.kernel.state === 'idle' || entry.kernel.state === 'unreachable';
      if (!idle || now - entry.lastActivity < idleMs) continue;
      this.options.logger.info({ key: entry.keyId, kernelId: entry.kernel.id, idleMs: now - entry.lastActivity }, 'culling idle kernel');
      this.stopEntry(entry, 'culled').catch((err: unknown) => this.options.logger.error({ err, key: entry.keyId }, 'culling a kernel failed'));
    }
  }

  /** Refuses a start that would pass a cap; checked here because only here are starts registered synchronously. */
  private checkLimits(chargedTo: string | undefined): void {
    const passed = limitPassed([...this.entries.values(), ...this.starting.values()], chargedTo, this.options);
    if (!passed) return;
    this.events.emit('limit', passed.scope);
    throw passed;
  }

  private require(key: KernelKey): Entry {
    const entry = this.entries.get(kernelKeyId(key));
    if (!entry) throw new NoSuchKernelError(`no kernel for ${kernelKeyId(key)}`);
    return entry;
  }
}

export function createKernelManager(options: KernelManagerOptions): KernelManager {
  return new KernelManager(options);
}
