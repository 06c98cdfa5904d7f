// What a session and the widget plugin learn about the session's kernel, in one place: a new
// kernel (the session listens to it), a restart (queued runs are aborted), a death (the running
// and queued runs fail with its reason), a cull or a stop. Each time the kernel's objects are
// gone, the plugin clears that kernel's widgets (ExecutionPlugins.onKernelReset). The status
// users see is written by kernelStatus.ts, which this part tells what no manager event says.
import type { KernelManager, ManagedKernel } from '../kernels/manager.ts';
import type { KernelKey } from '../kernels/kernelKeys.ts';
import type { Logger } from '../log.ts';
import { KernelStatusWriter } from './kernelStatus.ts';
import type { ExecutionPlugins } from './service.ts';
import type { KernelSession } from './session.ts';
import type { Sessions } from './sessions.ts';

export class KernelLifecycle {
  private readonly status: KernelStatusWriter;

  constructor(
    kernels: KernelManager,
    private readonly sessions: Sessions,
    private readonly plugins: ExecutionPlugins | undefined,
    private readonly log: Logger,
  ) {
    this.status = new KernelStatusWriter(kernels, sessions, log);
    kernels.on('status', (key, status) => {
      if (status === 'culled') this.withSession(key, 'clearing a culled kernel', (s) => this.plugins?.onKernelReset?.(s, 'culled'));
    });
    kernels.on('dead', (key, reason) => {
      this.withSession(key, 'reporting a dead kernel', (s) => {
        s.kernelDied(reason);
        this.plugins?.onKernelReset?.(s, 'dead');
      });
    });
  }

  /** A session got a new kernel (a new process, nothing of the old one exists). */
  attached(session: KernelSession, managed: ManagedKernel): void {
    session.kernelReplaced();
    session.watch(managed);
    managed.kernel.on('restarted', () => {
      session.abortQueued('the kernel was restarted');
      this.plugins?.onKernelReset?.(session, 'restarted');
    });
    this.status.attached(session, managed);
    this.plugins?.onKernelAttached?.(session, managed);
  }

  /** A session's kernel could not be started: its runs fail (session.ts), its status says why. */
  startFailed(session: KernelSession, err: unknown): void {
    this.status.startFailed(session, err);
  }

  /** A key's kernel was stopped on request. */
  async stopped(key: KernelKey): Promise<void> {
    const session = await this.sessions.existing(key);
    if (session) this.plugins?.onKernelReset?.(session, 'stopped');
  }

  /** Work no request waits for: a failure is logged, never an unhandled rejection. */
  private withSession(key: KernelKey, what: string, act: (session: KernelSession) => void): void {
    this.sessions
      .existing(key)
      ?.then(act)
      .catch((err: unknown) => this.log.error({ err }, `${what} failed`));
  }
}
