// One KernelSession per kernel key: made on first use, holding a lease of the document the key's
// results go to (shared/layout.ts `resultsRoom`), and let go once its kernel is gone and no run
// waits on it — or when the server stops.
import { resultsRoom } from '../../shared/layout.ts';
import type { KernelManager } from '../kernels/manager.ts';
import type { KernelKey } from '../kernels/kernelKeys.ts';
import { kernelKeyId } from '../kernels/kernelKeys.ts';
import type { Logger } from '../log.ts';
import type { Rooms } from '../sync/rooms.ts';
import type { SessionHooks } from './session.ts';
import { KernelSession } from './session.ts';

export interface SessionsDeps {
  rooms: Rooms;
  kernels: KernelManager;
  log: Logger;
  maxOutputBytes: number;
}

export class Sessions {
  private readonly sessions = new Map<string, Promise<KernelSession>>();

  constructor(
    private readonly deps: SessionsDeps,
    private readonly hooks: SessionHooks,
  ) {
    // A session holds its document in memory; let it go once its kernel is gone and nothing waits.
    deps.kernels.on('removed', (key) => {
      const id = kernelKeyId(key);
      this.sessions
        .get(id)
        ?.then((s) => {
          if (s.busy || this.deps.kernels.get(key) || this.sessions.get(id) === undefined) return;
          this.sessions.delete(id);
          s.dispose();
        })
        .catch((err: unknown) => this.deps.log.error({ err }, 'closing a session failed'));
    });
  }

  /** The session of a kernel key, made on first use. */
  of(key: KernelKey): Promise<KernelSession> {
    const id = kernelKeyId(key);
    let session = this.sessions.get(id);
    if (!session) {
      session = this.deps.rooms.acquire(resultsRoom(key)).then(
        (lease) => new KernelSession(key, lease, this.hooks, this.deps.maxOutputBytes, this.deps.log.child({ kernel: id })),
      );
      session.catch(() => this.sessions.delete(id));
      this.sessions.set(id, session);
    }
    return session;
  }

  /** The session of a kernel key if it has one (a key nobody ran anything in has none). */
  existing(key: KernelKey): Promise<KernelSession> | undefined {
    return this.sessions.get(kernelKeyId(key));
  }

  /** Ends every session. */
  async dispose(): Promise<void> {
    const sessions = await Promise.allSettled([...this.sessions.values()]);
    for (const s of sessions) if (s.status === 'fulfilled') s.value.dispose();
    this.sessions.clear();
  }
}
