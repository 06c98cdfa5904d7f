// The gateway kernel provider (--kernel-gateway-url): every kernel is started on a remote engine
// that speaks the Kernel Gateway protocol — Jupyter Enterprise Gateway (kernels as Kubernetes
// pods, on YARN, Docker, remote hosts) or a plain Jupyter Server. The engine runs and isolates
// the kernels; Cohort keeps the keys, limits, pool and culling, and deletes every kernel it
// started when it stops one, culls one, or shuts down.
import { KernelSpecNotFoundError } from './errors.ts';
import { GatewayClient } from './gatewayClient.ts';
import type { KernelSpec } from './kernelspec.ts';
import type { Logger } from './logger.ts';
import type { Kernel, KernelProvider, KernelStartOptions } from './provider.ts';
import { RemoteKernel } from './remoteKernel.ts';

export interface GatewayProviderOptions {
  url: string;
  token?: string | undefined;
  logger: Logger;
  /** How long a kernel start may take on the engine (a pod may need to be scheduled). */
  startTimeoutMs: number;
  /** First wait before looking for a kernel again while the engine is unreachable. */
  retryDelayMs?: number;
  /** How often the engine's kernel list is checked for kernels it lost. Default 5 s. */
  watchIntervalMs?: number;
}

/** KERNEL_USERNAME of kernels started for no one in particular (pool and shared kernels). */
export const POOL_USERNAME = 'cohort';

export class GatewayKernelProvider implements KernelProvider {
  readonly name = 'gateway';
  readonly client: GatewayClient;
  /** Every remote kernel started and not yet shut down: deleted on dispose whatever else happened. */
  private readonly running = new Set<RemoteKernel>();
  private knownSpecs: Promise<Map<string, KernelSpec>> | undefined;
  private readonly watcher: NodeJS.Timeout;
  private watching = false;

  private constructor(private readonly options: GatewayProviderOptions) {
    this.client = new GatewayClient({ url: options.url, token: options.token });
    // An engine may delete a kernel (its own culling, an operator) and leave the kernel's
    // WebSocket open and silent (Jupyter Server does): a run sent to it would wait for ever. As
    // JupyterLab does, the engine's kernel list is checked now and then; one request per
    // interval for all kernels of this node.
    this.watcher = setInterval(() => {
      this.watch().catch((error: unknown) => options.logger.error({ err: error }, "checking the engine's kernel list failed"));
    }, options.watchIntervalMs ?? 5000);
    this.watcher.unref();
  }

  /**
   * A provider for the engine at `url`, once the engine answered with its kernelspecs: a server
   * that cannot reach its engine (or whose token it refuses) refuses to start, saying so.
   */
  static async connect(options: GatewayProviderOptions): Promise<GatewayKernelProvider> {
    const provider = new GatewayKernelProvider(options);
    let specs: Map<string, KernelSpec>;
    try {
      specs = await provider.specs();
    } catch (error) {
      throw new Error(`cannot use the kernel gateway at ${provider.client.url}: ${(error as Error).message}`, { cause: error });
    }
    options.logger.info({ engine: provider.client.url, kernelspecs: [...specs.keys()] }, 'kernels run on a remote engine (kernel gateway)');
    return provider;
  }

  /** The engine's kernelspecs (the only ones that can start there), asked again on a miss. */
  specs(fresh = false): Promise<Map<string, KernelSpec>> {
    if (!this.knownSpecs || fresh) {
      const asked = this.client.kernelspecs();
      asked.catch(() => {
        if (this.knownSpecs === asked) this.knownSpecs = undefined;
      });
      this.knownSpecs = asked;
    }
    return this.knownSpecs;
  }

  async start(specName: string, { owner }: KernelStartOptions): Promise<RemoteKernel> {
    if (!(await this.specs()).has(specName) && !(await this.specs(true)).has(specName)) throw new KernelSpecNotFoundError(specName);
    // KERNEL_USERNAME: Enterprise Gateway runs (and names) the kernel as this user. Only ids go
    // out, no names or secrets: the environment reaches the engine and the kernel.
    const env = { KERNEL_USERNAME: owner ?? POOL_USERNAME };
    const kernel = await RemoteKernel.start(specName, env, {
      client: this.client,
      logger: this.options.logger,
      startTimeoutMs: this.options.startTimeoutMs,
      ...(this.options.retryDelayMs !== undefined ? { retryDelayMs: this.options.retryDelayMs } : {}),
      onShutdown: (k) => this.running.delete(k),
    });
    this.running.add(kernel);
    return kernel;
  }

  async adopt(_kernel: Kernel, _home: string): Promise<void> {
    // Homes are folders on this machine; a remote kernel works where its engine puts it.
  }

  private async watch(): Promise<void> {
    if (this.watching || this.running.size === 0) return;
    this.watching = true;
    try {
      const listed = new Set(await this.client.kernelIds());
      for (const kernel of this.running) if (!listed.has(kernel.id)) kernel.verify('its engine no longer lists it');
    } catch {
      // Unreachable: each kernel's own connection notices and says so.
    } finally {
      this.watching = false;
    }
  }

  async dispose(): Promise<void> {
    clearInterval(this.watcher);
    await Promise.all([...this.running].map((kernel) => kernel.shutdown()));
  }
}
