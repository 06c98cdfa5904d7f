// Running kernels across notebooks, so a user at the kernel limit can see what holds their kernels
// and free one: `GET /api/kernels` (mine, plus every kernel of notebooks I own; all for admins;
// `?notebook=<id>` narrows to one notebook), and restart / shut down by kernel id. Who may act on a
// kernel: its user, the owner of its notebook, or an admin — the same rule for seeing it.
import { Router } from 'express';
import type { Request } from 'express';
import { can } from '../../../shared/roles.ts';
import { isId } from '../../../shared/rooms.ts';
import type { KernelListing, RunningKernel } from '../../../shared/kernels.ts';
import type { Users } from '../../auth/users.ts';
import type { ExecutionService } from '../../execution/service.ts';
import type { KernelManager, ManagedKernel } from '../../kernels/manager.ts';
import { processTreeMemory } from '../../kernels/memory.ts';
import type { Notebooks } from '../../notebooks/service.ts';
import type { UserRecord } from '../../store/types.ts';
import { userOf } from '../auth.ts';
import { HttpError } from '../../errors.ts';

export interface KernelRouteDeps {
  kernels: KernelManager;
  execution: ExecutionService;
  notebooks: Notebooks;
  users: Users;
  /** The limits a user meets, so a client can say "4 of 4". */
  maxKernelsPerUser: number;
  maxKernels: number;
}

export function kernelRoutes(deps: KernelRouteDeps): Router {
  const { kernels, execution, notebooks, users } = deps;
  const router = Router();

  /** Whether `user` may see and control this kernel. Roles are looked up once per notebook. */
  const accessChecker = (user: UserRecord) => {
    const manages = new Map<string, Promise<boolean>>();
    return (managed: ManagedKernel): Promise<boolean> => {
      if (user.admin) return Promise.resolve(true);
      if (!managed.key.shared && managed.key.userId === user.id) return Promise.resolve(true);
      const notebookId = managed.key.notebookId;
      let manage = manages.get(notebookId);
      if (!manage) {
        manage = notebooks.roleOf(notebookId, user.id).then((role) => can.manage(role));
        manages.set(notebookId, manage);
      }
      return manage;
    };
  };

  router.get('/api/kernels', async (req, res) => {
    const user = userOf(req);
    const only = req.query.notebook;
    if (only !== undefined) {
      // Like every notebook route: a non-member learns nothing, not even that the notebook exists.
      if (typeof only !== 'string' || !isId(only)) throw new HttpError(404, 'notebook_not_found', `no notebook "${String(only)}"`);
      if (!user.admin) await notebooks.access(only, user);
    }
    const mayAccess = accessChecker(user);
    const candidates = kernels.list().filter((managed) => only === undefined || managed.key.notebookId === only);
    const allowed = await Promise.all(candidates.map(mayAccess));
    const shown = candidates.filter((_, index) => allowed[index]);
    // A remote kernel (gateway provider) has no process here to measure.
    const memory = await processTreeMemory(shown.flatMap((managed) => (managed.kernel.pid === undefined ? [] : [managed.kernel.pid])));
    const names = nameCache(notebooks, users);
    const rows: RunningKernel[] = await Promise.all(
      shown.map(async (managed): Promise<RunningKernel> => {
        const { key, kernel } = managed;
        const bytes = kernel.pid === undefined ? undefined : memory.get(kernel.pid);
        return {
          id: kernel.id,
          notebookId: key.notebookId,
          notebookName: await names.notebook(key.notebookId),
          scope: key.shared ? 'shared' : 'user',
          ...(key.shared ? {} : { userId: key.userId, userName: await names.user(key.userId) }),
          status: kernel.state,
          specName: managed.specName,
          startedAt: managed.startedAt,
          lastActivity: managed.lastActivity,
          ...(bytes !== undefined ? { memoryBytes: bytes } : {}),
        };
      }),
    );
    rows.sort((a, b) => a.startedAt - b.startedAt);
    const listing: KernelListing = { kernels: rows, limits: { perUser: deps.maxKernelsPerUser, total: deps.maxKernels } };
    res.json(listing);
  });

  /** The kernel named by `:kernelId`, if the caller may control it; else 404 (ids do not leak). */
  async function controlled(req: Request): Promise<ManagedKernel> {
    const user = userOf(req);
    const id = String(req.params.kernelId);
    const managed = kernels.list().find((candidate) => candidate.kernel.id === id);
    if (!managed || !(await accessChecker(user)(managed))) throw new HttpError(404, 'kernel_not_found', `no kernel "${id}"`);
    return managed;
  }

  router.post('/api/kernels/:kernelId/restart', async (req, res) => {
    await execution.restart((await controlled(req)).key);
    res.status(204).end();
  });

  router.post('/api/kernels/:kernelId/interrupt', async (req, res) => {
    await execution.interrupt((await controlled(req)).key);
    res.status(204).end();
  });

  router.delete('/api/kernels/:kernelId', async (req, res) => {
    await execution.shutdown((await controlled(req)).key);
    res.status(204).end();
  });

  return router;
}

/** Notebook and user names for one response, each looked up once. */
function nameCache(notebooks: Notebooks, users: Users) {
  const notebookNames = new Map<string, Promise<string>>();
  const userNames = new Map<string, Promise<string>>();
  const cached = (map: Map<string, Promise<string>>, id: string, load: () => Promise<string>) => {
    let name = map.get(id);
    if (!name) {
      name = load();
      map.set(id, name);
    }
    return name;
  };
  return {
    notebook: (id: string) => cached(notebookNames, id, async () => (await notebooks.get(id))?.name ?? '(deleted notebook)'),
    user: (id: string) => cached(userNames, id, async () => (await users.byId(id))?.name ?? '(deleted user)'),
  };
}
