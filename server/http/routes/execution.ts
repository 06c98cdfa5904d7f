// Running cells, kernels and stdin over REST. A route reads and checks the request, asks the
// planner and the execution service, and answers; results also arrive through the documents, and
// `?wait=true` answers with them as the runs hand them back.
import { Router } from 'express';
import type { Request } from 'express';
import type { Scope } from '../../../shared/schema.ts';
import { HttpError } from '../../errors.ts';
import { kernelKeyFor } from '../../execution/kernelAccess.ts';
import type { KernelAction } from '../../execution/kernelAccess.ts';
import { parseCellIds, planRun } from '../../execution/planner.ts';
import type { ExecutionService } from '../../execution/service.ts';
import type { Notebooks } from '../../notebooks/service.ts';
import type { Rooms } from '../../sync/rooms.ts';
import { notebookFor } from './notebooks.ts';

function bodyField(req: Request, field: string): unknown {
  const body: unknown = req.body;
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[field] : undefined;
}

/** `?scope=`: the user's own kernel (absent or `user`) or the notebook's shared one (`shared`). */
function parseScope(value: unknown): Scope {
  if (value === undefined || value === 'user') return 'user';
  if (value === 'shared') return 'shared';
  throw new HttpError(400, 'invalid_scope', 'scope is user or shared');
}

export function executionRoutes(notebooks: Notebooks, execution: ExecutionService, rooms: Rooms): Router {
  const router = Router();

  /** The kernel a request's `?scope=` names, if its caller may do `action` with it. */
  async function kernelOf(req: Request, action: KernelAction) {
    const { user, notebook } = await notebookFor(notebooks, req);
    return kernelKeyFor(notebook, user.id, parseScope(req.query.scope), action);
  }

  router.post('/api/notebooks/:id/execute', async (req, res) => {
    const { user, notebook } = await notebookFor(notebooks, req);
    const cellIds = parseCellIds(bodyField(req, 'cellIds'));
    const runs = await execution.execute(notebook, user.id, await planRun(rooms, notebook, user.id, cellIds));
    if (req.query.wait !== 'true') {
      res.status(202).json({ runs: runs.map((r) => ({ cellId: r.cellId, scope: r.scope })) });
      return;
    }
    res.json({ runs: await Promise.all(runs.map((r) => r.outcome)) });
  });

  router.get('/api/notebooks/:id/kernel', async (req, res) => {
    res.json(execution.kernelInfo(await kernelOf(req, 'read')));
  });

  router.post('/api/notebooks/:id/kernel/interrupt', async (req, res) => {
    await execution.interrupt(await kernelOf(req, 'control'));
    res.status(204).end();
  });

  router.post('/api/notebooks/:id/kernel/restart', async (req, res) => {
    await execution.restart(await kernelOf(req, 'control'));
    res.status(204).end();
  });

  router.delete('/api/notebooks/:id/kernel', async (req, res) => {
    await execution.shutdown(await kernelOf(req, 'control'));
    res.status(204).end();
  });

  router.post('/api/notebooks/:id/stdin', async (req, res) => {
    const { user, notebook } = await notebookFor(notebooks, req);
    const value = bodyField(req, 'value');
    if (typeof value !== 'string') throw new HttpError(400, 'invalid_value', 'value must be a string');
    await execution.answerInput(notebook.id, user.id, value);
    res.status(204).end();
  });

  return router;
}

