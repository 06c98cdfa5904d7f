// Where a key's kernel comes from: a warm pool kernel made the key's (it takes the key's home),
// or else a fresh start by the provider (processes here, or a remote engine). Owns the provider
// and the pool and stops both on dispose; the kernels it hands out are the manager's to stop.
import { homeOf, notebookFilesOf } from './kernelKeys.ts';
import type { KernelKey } from './kernelKeys.ts';
import type { KernelSpec } from './kernelspec.ts';
import type { KernelTuning } from './launcher.ts';
import { LocalKernelProvider } from './localProvider.ts';
import type { Logger } from './logger.ts';
import { KernelPool } from './pool.ts';
import type { Kernel, KernelProvider } from './provider.ts';
import type { KernelSandbox } from './sandbox.ts';

export interface KernelSourceOptions extends KernelTuning {
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
  /** Called before a kernel is started or assigned for `key` (the files layer links the notebook's files into the home). */
  beforeStart?: (key: KernelKey, home: string) => Promise<void>;
}

export class KernelSource {
  readonly defaultSpecName: string;
  private readonly provider: KernelProvider;
  private readonly pool: KernelPool<Kernel>;

  constructor(private readonly options: KernelSourceOptions) {
    const { logger } = options;
    this.defaultSpecName = options.defaultSpecName ?? 'python3';
    this.provider = options.provider ?? localProvider(options);
    let poolSize = options.poolSize ?? 2;
    if (poolSize > 0 && options.sandbox && !options.provider && !options.sandbox.canAssignHome) {
      logger.warn({ poolSize }, 'the warm pool is off: this sandbox cannot give a kernel its user\'s home after it started');
      poolSize = 0;
    }
    this.pool = new KernelPool<Kernel>({ size: poolSize, logger, start: () => this.provider.start(this.defaultSpecName, {}) });
    this.pool.fill();
  }

  /** Where kernels run: `local` or `gateway`. */
  get providerName(): KernelProvider['name'] {
    return this.provider.name;
  }

  /** Pool state, for health reports and tests. */
  poolInfo(): { size: number; ready: number; pids: number[]; settled: Promise<void> } {
    return { size: this.pool.size, ready: this.pool.readyCount, pids: this.pool.pids(), settled: this.pool.settled() };
  }

  /**
   * A kernel of `specName` working in `key`'s home: the pool's when the spec is the default one
   * and a pool kernel is ready, else a fresh one started for `owner`.
   */
  async kernelFor(key: KernelKey, keyId: string, specName: string, owner: string | undefined): Promise<{ kernel: Kernel; fromPool: boolean }> {
    const home = homeOf(this.options.dataDir, key);
    await this.options.beforeStart?.(key, home);
    const pooled = specName === this.defaultSpecName ? await this.fromPool(key, keyId) : undefined;
    if (pooled) return { kernel: pooled, fromPool: true };
    const kernel = await this.provider.start(specName, { home, notebookFiles: notebookFilesOf(this.options.dataDir, key), owner });
    return { kernel, fromPool: false };
  }

  /** Stops the pool's kernels, then lets go of the provider. */
  async dispose(): Promise<void> {
    await this.pool.dispose();
    await this.provider.dispose();
  }

  /** A pool kernel made this key's, or undefined when there is none or it could not take its home. */
  private async fromPool(key: KernelKey, keyId: string): Promise<Kernel | undefined> {
    const pooled = this.pool.take();
    if (!pooled) return undefined;
    try {
      await this.provider.adopt(pooled, homeOf(this.options.dataDir, key), notebookFilesOf(this.options.dataDir, key));
      return pooled;
    } catch (error) {
      this.options.logger.error({ err: error, key: keyId, kernelId: pooled.id }, 'a pool kernel could not take its home; starting a fresh kernel');
      await pooled.shutdown().catch(() => undefined);
      return undefined;
    }
  }
}

function localProvider(options: KernelSourceOptions): KernelProvider {
  const { dataDir, logger, sandbox, resolveSpec } = options;
  if (!sandbox || !resolveSpec) throw new Error('the kernel manager needs a provider, or a sandbox and resolveSpec for local kernels');
  return new LocalKernelProvider({ ...options, dataDir, logger, sandbox, resolveSpec });
}
