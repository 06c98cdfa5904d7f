// Running cells, kernels and stdin over REST. A route reads and checks the request, asks the
// planner and the execution service, and answers; results also arrive through the documents, and
// `?wait=true` answers with them as the runs hand them back.
import { Router } from 'express';
import type { Request } from 'express';
import { HttpError } from '../../errors.ts';
import { parseCellIds, planRun } from '../../execution/planner.ts';
import type { ExecutionService } from '../../execution/service.ts';
import type { Notebooks } from '../../notebooks/service.ts';
import type { Rooms } from '../../sync/rooms.ts';
import { notebookFor } from './notebooks.ts';

function bodyField(req: Request, field: string): unknown {
  const body: unknown = req.body;
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[field] : undefined;
}

export function executionRoutes(notebooks: Notebooks, execution: ExecutionService, rooms: Rooms): Router {
  const router = Router();

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
    const { user, notebook } = await notebookFor(notebooks, req);
    res.json(execution.kernelInfo(execution.keyFor(notebook, user.id, req.query.scope, 'read')));
  });

  router.post('/api/notebooks/:id/kernel/interrupt', async (req, res) => {
    const { user, notebook } = await notebookFor(notebooks, req);
    await execution.interrupt(execution.keyFor(notebook, user.id, req.query.scope, 'control'));
    res.status(204).end();
  });

  router.post('/api/notebooks/:id/kernel/restart', async (req, res) => {
    const { user, notebook } = await notebookFor(notebooks, req);
    await execution.restart(execution.keyFor(notebook, user.id, req.query.scope, 'control'));
    res.status(204).end();
  });

  router.delete('/api/notebooks/:id/kernel', async (req, res) => {
    const { user, notebook } = await notebookFor(notebooks, req);
    await execution.shutdown(execution.keyFor(notebook, user.id, req.query.scope, 'control'));
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

