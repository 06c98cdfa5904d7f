// The REST half of the Kernel Gateway protocol, which Jupyter Enterprise Gateway and Jupyter
// Server both serve: kernelspecs, and a kernel's start, model, interrupt, restart and deletion.
// Every call carries the token (never logged) and a time limit, and tells "the engine cannot be
// reached" (KernelEngineUnreachableError) apart from "the engine answered no".
import { KernelEngineUnreachableError, KernelStartError } from './errors.ts';
import { parseKernelSpec } from './kernelspec.ts';
import type { KernelSpec } from './kernelspec.ts';
import { isObject } from './messageShapes.ts';

export interface GatewayClientOptions {
  /** The engine's base URL (`https://eg.example/gateway`), without a trailing slash. */
  url: string;
  /** Sent as `Authorization: token …`; Jupyter Server and Enterprise Gateway both take it. */
  token?: string | undefined;
  /** Time limit of one call; a kernel start may take longer (see startKernel). Default 10 s. */
  timeoutMs?: number;
}

/** What the engine says about one kernel. */
export interface RemoteKernelModel {
  id: string;
  name: string;
  execution_state?: string;
}

export class GatewayClient {
  readonly url: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: GatewayClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Headers for REST calls and the channels WebSocket. */
  get headers(): Record<string, string> {
    return this.options.token ? { authorization: `token ${this.options.token}` } : {};
  }

  /** `ws(s)://…/api/kernels/<id>/channels?session_id=…`. */
  channelsUrl(kernelId: string, sessionId: string): string {
    const url = new URL(`${this.url}/api/kernels/${encodeURIComponent(kernelId)}/channels`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('session_id', sessionId);
    return url.href;
  }

  async kernelspecs(): Promise<Map<string, KernelSpec>> {
    const body = await this.call('GET', '/api/kernelspecs');
    if (!isObject(body) || !isObject(body.kernelspecs)) throw new Error(`the kernel engine at ${this.url} sent no kernelspecs`);
    const specs = new Map<string, KernelSpec>();
    for (const [name, entry] of Object.entries(body.kernelspecs)) {
      // A spec lives on the engine: no resource dir here.
      if (isObject(entry)) specs.set(name, parseKernelSpec(name, '', entry.spec));
    }
    return specs;
  }

  /**
   * Starts a kernel. `env` reaches the engine (KERNEL_USERNAME and the like), never our own
   * environment. Not retried: a start whose answer was lost may have started a kernel this
   * server cannot know of, and a retry would start a second one.
   */
  async startKernel(name: string, env: Record<string, string>, timeoutMs: number): Promise<RemoteKernelModel> {
    const body = await this.call('POST', '/api/kernels', { name, env }, timeoutMs);
    if (!isObject(body) || typeof body.id !== 'string') throw new KernelStartError(`the kernel engine at ${this.url} started no kernel: ${JSON.stringify(body)}`);
    return { id: body.id, name: String(body.name ?? name) };
  }

  /** The kernel's model, or undefined when the engine has no such kernel (culled, deleted, engine restarted). */
  async kernel(id: string, timeoutMs?: number): Promise<RemoteKernelModel | undefined> {
    const body = await this.call('GET', `/api/kernels/${encodeURIComponent(id)}`, undefined, timeoutMs, true);
    if (body === undefined) return undefined;
    if (!isObject(body) || typeof body.id !== 'string') throw new Error(`the kernel engine sent a malformed model of kernel ${id}`);
    return { id: body.id, name: String(body.name ?? ''), ...(typeof body.execution_state === 'string' ? { execution_state: body.execution_state } : {}) };
  }

  /** Ids of every kernel the engine runs (for tests and diagnostics). */
  async kernelIds(): Promise<string[]> {
    const body = await this.call('GET', '/api/kernels');
    return Array.isArray(body) ? body.flatMap((k) => (isObject(k) && typeof k.id === 'string' ? [k.id] : [])) : [];
  }

  /** Deletes a kernel; one the engine does not know any more counts as deleted. */
  async deleteKernel(id: string): Promise<void> {
    await this.call('DELETE', `/api/kernels/${encodeURIComponent(id)}`, undefined, undefined, true);
  }

  async interrupt(id: string): Promise<void> {
    await this.call('POST', `/api/kernels/${encodeURIComponent(id)}/interrupt`);
  }

  /** Restarts the kernel's process; the engine answers once the new one is up. */
  async restart(id: string, timeoutMs: number): Promise<void> {
    await this.call('POST', `/api/kernels/${encodeURIComponent(id)}/restart`, undefined, timeoutMs);
  }

  /**
   * One call. A 404 resolves undefined when `missingIsFine`; other refusals throw with the
   * engine's status (its body is logged by no one: it may echo what we sent).
   */
  private async call(method: string, path: string, body?: unknown, timeoutMs = this.timeoutMs, missingIsFine = false): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(this.url + path, {
        method,
        headers: { ...this.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : (error as Error).message;
      throw new KernelEngineUnreachableError(`kernel engine unreachable (${method} ${path}: ${cause})`, { cause: error });
    }
    if (res.status === 404 && missingIsFine) {
      await res.body?.cancel();
      return undefined;
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw new Error(`the kernel engine at ${this.url} refused the token (${res.status}); check COHORT_KERNEL_GATEWAY_TOKEN or --kernel-gateway-token-file`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      const error = new Error(`the kernel engine answered ${res.status} to ${method} ${path}`);
      if (res.status === 404) throw Object.assign(error, { status: 404 });
      throw error;
    }
    const text = await res.text();
    return text ? (JSON.parse(text) as unknown) : undefined;
  }
}
