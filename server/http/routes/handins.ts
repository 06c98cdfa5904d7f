// Publishing and hand-ins over REST: `POST …/cells/:cellId/publish` (runners and up: my outputs of
// a cell, or my version of an exercise or scratch cell handed in), and the live session's hand-in
// controls for the owner: `POST …/session/options` { handinsVisible } and `DELETE …/session/handins`.
import { Router } from 'express';
import type { Request } from 'express';
import { can } from '../../../shared/roles.ts';
import { clearHandins, publishCell, setSessionOptions } from '../../exercises/handins.ts';
import type { Notebooks } from '../../notebooks/service.ts';
import type { Rooms } from '../../sync/rooms.ts';
import { notebookFor } from './notebooks.ts';

export interface HandinLimits {
  /** Largest published output or hand-in (the JSON of what is copied), bytes. */
  maxPublishedBytes: number;
}

function body(req: Request): Record<string, unknown> {
  const b: unknown = req.body;
  return typeof b === 'object' && b !== null && !Array.isArray(b) ? (b as Record<string, unknown>) : {};
}

export function handinRoutes(notebooks: Notebooks, rooms: Rooms, limits: HandinLimits): Router {
  const router = Router();

  router.post('/api/notebooks/:id/cells/:cellId/publish', async (req, res) => {
    const { user, notebook } = await notebookFor(notebooks, req, can.runUserCells);
    res.status(201).json(await publishCell(rooms, notebook.id, user, String(req.params.cellId), limits.maxPublishedBytes));
  });

  router.post('/api/notebooks/:id/session/options', async (req, res) => {
    const { notebook } = await notebookFor(notebooks, req, can.manage);
    await setSessionOptions(rooms, notebook.id, { handinsVisible: body(req).handinsVisible });
    res.status(204).end();
  });

  router.delete('/api/notebooks/:id/session/handins', async (req, res) => {
    const { notebook } = await notebookFor(notebooks, req, can.manage);
    await clearHandins(rooms, notebook.id);
    res.status(204).end();
  });

  return router;
}
