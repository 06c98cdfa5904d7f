// Running cells, kernels and stdin over REST. Results arrive through the documents; `?wait=true`
// also answers with them.
import { Router } from 'express';
import type { Request } from 'express';
import { privateRoom, sharedRoom } from '../../../shared/rooms.ts';
import * as Y from 'yjs';
import { can } from '../../../shared/roles.ts';
import type { PublishedOutput } from '../../../shared/schema.ts';
import { cellOutputs, findCell, outputsToJSON, privateDoc, sharedDoc } from '../../../shared/schema.ts';
import { HttpError } from '../errors.ts';
import type { ExecutionService, RunResult } from '../../execution/service.ts';
import type { Notebooks } from '../../notebooks/service.ts';
import type { Rooms } from '../../sync/rooms.ts';
import { notebookFor } from './notebooks.ts';

function bodyField(req: Request, field: string): unknown {
  const body: unknown = req.body;
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[field] : undefined;
}

export interface ExecutionRouteLimits {
  /** Largest published output (the JSON of one user's outputs of one cell), bytes. */
  maxPublishedBytes: number;
}

export function executionRoutes(notebooks: Notebooks, execution: ExecutionService, rooms: Rooms, limits: ExecutionRouteLimits): Router {
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
    const room = run.scope === 'shared' ? sharedRoom(notebookId) : privateRoom(notebookId, userId);
    const lease = await rooms.acquire(room);
    try {
      const found = run.scope === 'shared' ? findCell(lease.room.doc, run.cellId) : undefined;
      const outputs = found ? cellOutputs(found.cell) : privateDoc(lease.room.doc).outputs.get(run.cellId);
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

  // Publishing: a user hands their own output of a cell to everyone (shared `published` map).
  router.post('/api/notebooks/:id/cells/:cellId/publish', async (req, res) => {
    const { user, notebook } = await notebookFor(notebooks, req, can.runUserCells);
    const cellId = String(req.params.cellId);
    const mine = await rooms.acquire(privateRoom(notebook.id, user.id));
    const shared = await rooms.acquire(sharedRoom(notebook.id));
    try {
      if (!findCell(shared.room.doc, cellId)) throw new HttpError(404, 'cell_not_found', `no cell "${cellId}"`);
      const outputs = outputsToJSON(privateDoc(mine.room.doc).outputs.get(cellId));
      if (outputs.length === 0) throw new HttpError(409, 'nothing_to_publish', 'run the cell first: it has no output of yours');
      // A published copy goes to every member; what a user's private document holds is not
      // bounded by the kernel's output cap (clients write there too), so the copy is bounded here.
      const bytes = Buffer.byteLength(JSON.stringify(outputs));
      if (bytes > limits.maxPublishedBytes) {
        throw new HttpError(
          413,
          'published_too_large',
          `your output of this cell is ${bytes} bytes; at most ${limits.maxPublishedBytes} can be published (--max-published-bytes)`,
        );
      }
      const entry: PublishedOutput = { userId: user.id, name: user.name, outputs, published_at: Date.now() };
      const published = sharedDoc(shared.room.doc).published;
      shared.room.doc.transact(() => {
        let perCell = published.get(cellId);
        if (!perCell) {
          perCell = new Y.Map<PublishedOutput>();
          published.set(cellId, perCell);
        }
        perCell.set(user.id, entry);
      }, PUBLISH_ORIGIN);
      res.status(201).json(entry);
    } finally {
      mine.release();
      shared.release();
    }
  });

  return router;
}

const PUBLISH_ORIGIN = Symbol('publish');
