// Running cells, kernels and stdin over REST. Results arrive through the documents; `?wait=true`
// also answers with them.
import { Router } from 'express';
import type { Request } from 'express';
import { resultsIn, resultsRoom } from '../../../shared/layout.ts';
import { outputsToJSON } from '../../../shared/schema.ts';
import type { ExecutionService, RunResult } from '../../execution/service.ts';
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
    const runs = await execution.execute(notebook, user.id, bodyField(req, 'cellIds'));
    if (req.query.wait !== 'true') {
      res.status(202).json({ runs: runs.map((r) => ({ cellId: r.cellId, scope: r.scope })) });
      return;
    }
    res.json({ runs: await Promise.all(runs.map((r) => finished(r, notebook.id, user.id))) });
  });

  async function finished(run: RunResult, notebookId: string, userId: string) {
    const info = await run.info;
    const lease = await rooms.acquire(resultsRoom(run.scope === 'shared' ? { notebookId, shared: true } : { notebookId, userId }));
    try {
      const outputs = resultsIn(lease.room.doc, run.scope).outputsOf(run.cellId);
      return { cellId: run.cellId, scope: run.scope, ...info, outputs: outputsToJSON(outputs) };
    } finally {
      lease.release();
    }
  }

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
    await execution.answerInput(notebook.id, user.id, bodyField(req, 'value'));
    res.status(204).end();
  });

  return router;
}

