// KernelManager: one kernel per (notebook, user) plus one shared kernel per notebook, started
// on first use (from the warm pool when possible), limited, culled when idle, all stopped on dispose.
// A user's kernels work in that user's home; a notebook's shared kernel in the notebook's home.
import { TypedEmitter } from './emitter.ts';
import { KernelLimitError, NoSuchKernelError } from './errors.ts';
import type { KernelLimitScope } from './errors.ts';
import { homeOf, kernelKeyId, notebookFilesOf } from './kernelKeys.ts';
import type { KernelKey } from './kernelKeys.ts';
import type { KernelSpec } from './kernelspec.ts';
import type { KernelTuning } from './launcher.ts';
import { LocalKernelProvider } from './localProvider.ts';
import type { Logger } from './logger.ts';
import { KernelPool } from './pool.ts';
import type { Kernel, KernelProvider, KernelState } from './provider.ts';
import type { KernelSandbox } from './sandbox.ts';

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

export interface KernelManagerOptions extends KernelTuning {
  dataDir: string;
  logger: Logger;
  /** Where kernels come from. Default: local processes, from `sandbox` and `resolveSpec`. */
  provider?: KernelProvider;
  /** Where and how local kernels run (see sandbox.ts); needed without a `provider`. */
  sandbox?: KernelSandbox;
  /** Local kernelspecs by name; needed without a `provider`. */
  resolveSpec?: (name: string) => Promise<KernelSpec>;
  /** Spec of pool kernels and of kernelFor() without a spec name. Default `python3`. */
  defaultSpecName?: string;
  /** Pre-started kernels of the default spec. Default 2; 0 disables the pool. */
  poolSize?: number;
  /** Kernels assigned to keys at once (pool kernels not counted). Default 64, as server/config.ts. */
  maxKernels?: number;
  /** Kernels charged to one user at once: private ones and shared ones they started. Default 4, as server/config.ts. */
  maxKernelsPerUser?: number;
  /** An idle kernel untouched this long is shut down. Default 1 h; 0 disables culling. */
  cullIdleMs?: number;
  /** How often culling checks. Default cullIdleMs / 4, between 50 ms and 60 s. */
  cullIntervalMs?: number;
  /** Called before a kernel is started or assigned for `key` (the files layer links the notebook's files into the home). */
  beforeStart?: (key: KernelKey, home: string) => Promise<void>;
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
  private readonly pool: KernelPool<Kernel>;
  private readonly provider: KernelProvider;
  private readonly defaultSpecName: string;
  private readonly cullTimer: NodeJS.Timeout | undefined;
  private disposing: Promise<void> | undefined;

  constructor(private readonly options: KernelManagerOptions) {
    const { logger } = options;
    this.defaultSpecName = options.defaultSpecName ?? 'python3';
    this.events = new TypedEmitter((event, error) => logger.error({ err: error, event: String(event) }, 'kernel manager listener threw'));
    this.provider = options.provider ?? localProvider(options);
    let poolSize = options.poolSize ?? 2;
    if (poolSize > 0 && options.sandbox && !options.provider && !options.sandbox.canAssignHome) {
      logger.warn({ poolSize }, 'the warm pool is off: this sandbox cannot give a kernel its user\'s home after it started');
      poolSize = 0;
    }
    this.pool = new KernelPool<Kernel>({ size: poolSize, logger, start: () => this.provider.start(this.defaultSpecName, {}) });
    this.pool.fill();
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
    this.checkLimits(key, chargedTo);
    const promise = this.start(key, id, specName ?? this.defaultSpecName, chargedTo).finally(() => this.starting.delete(id));
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
    this.checkLimits(key, key.shared ? startedBy : key.userId);
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
    return { size: this.pool.size, ready: this.pool.readyCount, pids: this.pool.pids(), settled: this.pool.settled() };
  }

  /** Stops every kernel, pooled ones included. Idempotent. */
  dispose(): Promise<void> {
    return (this.disposing ??= this.doDispose());
  }

  private async doDispose(): Promise<void> {
    clearInterval(this.cullTimer);
    await Promise.all([...this.starting.values()].map((s) => s.promise.catch(() => undefined)));
    await Promise.all([...this.entries.values()].map((e) => this.stopEntry(e, 'dead')));
    await this.pool.dispose();
    await this.provider.dispose();
    this.events.removeAll();
  }

  /** Where kernels run: `local` or `gateway`. */
  get providerName(): KernelProvider['name'] {
    return this.provider.name;
  }

  /** A pool kernel made this key's, or undefined when there is none or it could not take its home. */
  private async fromPool(key: KernelKey, id: string): Promise<Kernel | undefined> {
    const pooled = this.pool.take();
    if (!pooled) return undefined;
    try {
      await this.provider.adopt(pooled, homeOf(this.options.dataDir, key), notebookFilesOf(this.options.dataDir, key));
      return pooled;
    } catch (error) {
      this.options.logger.error({ err: error, key: id, kernelId: pooled.id }, 'a pool kernel could not take its home; starting a fresh kernel');
      await pooled.shutdown().catch(() => undefined);
      return undefined;
    }
  }

  private async start(key: KernelKey, id: string, specName: string, chargedTo: string | undefined): Promise<ManagedKernel> {
    this.events.emit('status', key, 'starting');
    let kernel: Kernel;
    let pooled: Kernel | undefined;
    try {
      await this.options.beforeStart?.(key, homeOf(this.options.dataDir, key));
      pooled = specName === this.defaultSpecName ? await this.fromPool(key, id) : undefined;
      kernel = pooled ?? (await this.provider.start(specName, { home: homeOf(this.options.dataDir, key), notebookFiles: notebookFilesOf(this.options.dataDir, key), owner: chargedTo }));
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
    const entry: Entry = { key, keyId: id, kernel, specName, fromPool: pooled !== undefined, startedAt: now, lastActivity: now, lastStatus: kernel.state, off: [], chargedTo };
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

  /**
   * The per-user cap counts every kernel charged to the user: their private kernels and the
   * shared kernels their runs started (one user must not fill the server through shared kernels).
   * It lives here, beside the total, because only here are starts registered synchronously.
   */
  private checkLimits(key: KernelKey, chargedTo: string | undefined): void {
    const maxTotal = this.options.maxKernels ?? 64;
    const all = [...this.entries.values(), ...this.starting.values()];
    if (all.length >= maxTotal) this.refuse(new KernelLimitError('total', maxTotal));
    if (chargedTo === undefined) return;
    const maxPerUser = this.options.maxKernelsPerUser ?? 4;
    const mine = all.filter((k) => k.chargedTo === chargedTo).length;
    if (mine >= maxPerUser) this.refuse(new KernelLimitError('user', maxPerUser));
  }

  private refuse(err: KernelLimitError): never {
    this.events.emit('limit', err.scope);
    throw err;
  }

  private require(key: KernelKey): Entry {
    const entry = this.entries.get(kernelKeyId(key));
    if (!entry) throw new NoSuchKernelError(`no kernel for ${kernelKeyId(key)}`);
    return entry;
  }
}

function localProvider(options: KernelManagerOptions): KernelProvider {
  const { dataDir, logger, sandbox, resolveSpec } = options;
  if (!sandbox || !resolveSpec) throw new Error('the kernel manager needs a provider, or a sandbox and resolveSpec for local kernels');
  return new LocalKernelProvider({ ...options, dataDir, logger, sandbox, resolveSpec });
}

export function createKernelManager(options: KernelManagerOptions): KernelManager {
  return new KernelManager(options);
}
