// `GET /api/notebooks/:id/cells/:cellId/mine`: my version of a cell — my copy of an exercise cell
// (or the teacher's source while I have none), one of my scratch cells, or any other cell — with
// my outputs. Read from the caller's own private document only.
import { Router } from 'express';
import { privateRoom, sharedRoom } from '../../../shared/rooms.ts';
import { myCell } from '../../exercises/myNotebook.ts';
import type { Notebooks } from '../../notebooks/service.ts';
import type { Rooms } from '../../sync/rooms.ts';
import { HttpError } from '../../errors.ts';
import { notebookFor } from './notebooks.ts';

export function myCellRoutes(notebooks: Notebooks, rooms: Rooms): Router {
  const router = Router();

  router.get('/api/notebooks/:id/cells/:cellId/mine', async (req, res) => {
    const { user, notebook } = await notebookFor(notebooks, req);
    const id = String(req.params.cellId);
    const shared = await rooms.acquire(sharedRoom(notebook.id));
    try {
      const mine = await rooms.acquire(privateRoom(notebook.id, user.id));
      try {
        const cell = myCell(shared.room.doc, mine.room.doc, id);
        if (!cell) throw new HttpError(404, 'cell_not_found', `no cell "${id}" in this notebook`);
        res.json(cell);
      } finally {
        mine.release();
      }
    } finally {
      shared.release();
    }
  });

  return router;
}
