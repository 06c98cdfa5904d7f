// The one writer of a kernel's status into its document (the `kernel` map of shared/layout.ts's
// Results: `status`, `name`, `message`), for every kernel key that has a session. It follows the
// kernel manager's status changes (starting, idle, busy, restarting, culled, ...) and deaths
// ("kernel died: <reason>"), and is told the two things no manager event says: which kernel a
// session got (its kernelspec; an old message cleared) and why a kernel could not be started.
import type { KernelStatus } from '../../shared/schema.ts';
import type { KernelManager, ManagedKernel } from '../kernels/manager.ts';
import type { KernelKey } from '../kernels/kernelKeys.ts';
import { kernelKeyId } from '../kernels/kernelKeys.ts';
import type { Logger } from '../log.ts';
import { KERNEL_ORIGIN } from './resultsWriter.ts';
import type { KernelSession } from './session.ts';
import type { Sessions } from './sessions.ts';

export class KernelStatusWriter {
  constructor(
    kernels: KernelManager,
    private readonly sessions: Sessions,
    private readonly log: Logger,
  ) {
    kernels.on('status', (key, status) => this.follow(key, status));
    kernels.on('dead', (key, reason) => this.follow(key, 'dead', { message: `kernel died: ${reason}` }));
  }

  /** A session got a new kernel (a new process, nothing of the old one exists). */
  attached(session: KernelSession, managed: ManagedKernel): void {
    write(session, managed.kernel.state, { name: managed.specName, message: null });
  }

  /** A session's kernel could not be started (a failed start, a limit, access revoked meanwhile). */
  startFailed(session: KernelSession, err: unknown): void {
    write(session, 'dead', { message: startFailure(err) });
  }

  /**
   * What the manager said of a key in the current turn, not yet written. A death comes as two events
   * in one turn (status `dead`, then the reason); written separately they would reach clients as two
   * stored updates, and a reader between them would see a dead kernel with no reason. So the events of
   * one turn are written as one update: the last status, and every field said.
   */
  private readonly unwritten = new Map<string, { status: KernelStatus; fields: Record<string, unknown> }>();

  private follow(key: KernelKey, status: KernelStatus, fields: Record<string, unknown> = {}): void {
    const id = kernelKeyId(key);
    const queued = this.unwritten.get(id);
    if (queued) {
      queued.status = status;
      Object.assign(queued.fields, fields);
      return;
    }
    const session = this.sessions.existing(key);
    if (!session) return;
    const change = { status, fields: { ...fields } };
    this.unwritten.set(id, change);
    session
      .then((s) => {
        this.unwritten.delete(id);
        write(s, change.status, change.fields);
      })
      .catch((err: unknown) => {
        this.unwritten.delete(id);
        this.log.error({ err }, 'mirroring a kernel status failed');
      });
  }
}

function write(session: KernelSession, status: KernelStatus, fields: Record<string, unknown>): void {
  session.doc.transact(() => {
    const kernel = session.results.kernel;
    if (kernel.get('status') !== status) kernel.set('status', status);
    for (const [name, value] of Object.entries(fields)) kernel.set(name, value);
  }, KERNEL_ORIGIN);
}

/** Why a kernel could not be started, as its status and the runs that needed it say. */
export function startFailure(err: unknown): string {
  return `the kernel could not be started: ${(err as Error).message}`;
}
