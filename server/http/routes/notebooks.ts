// Notebooks and their members. Non-members get 404 for a notebook, so ids do not leak.
import { Router } from 'express';
import type { Request } from 'express';
import type { Notebook } from '../../../shared/nbformat.ts';
import type { Role } from '../../../shared/roles.ts';
import { can, isRole } from '../../../shared/roles.ts';
import { isId } from '../../../shared/rooms.ts';
import type { NotebookSummary, Notebooks } from '../../notebooks/service.ts';
import { parseNotebook } from '../../notebooks/nbformat.ts';
import { HttpError } from '../../errors.ts';
import { userOf } from '../auth.ts';

/** The notebook named by `:id` with the caller's role, checked against a minimum role. */
export async function notebookFor(notebooks: Notebooks, req: Request, minimum?: (role: Role) => boolean) {
  const user = userOf(req);
  const id = req.params.id;
  if (!isId(id)) throw new HttpError(404, 'notebook_not_found', `no notebook "${String(id)}"`);
  const notebook = await notebooks.access(id, user);
  if (minimum && !minimum(notebook.role)) {
    throw new HttpError(403, 'forbidden', `your role on this notebook (${notebook.role}) does not allow that`);
  }
  return { user, notebook };
}

function body(req: Request): Record<string, unknown> {
  const b: unknown = req.body;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) {
    throw new HttpError(400, 'invalid_body', 'the request body must be a JSON object');
  }
  return b as Record<string, unknown>;
}

export function notebookRoutes(notebooks: Notebooks): Router {
  const router = Router();

  router.get('/api/notebooks', async (req, res) => {
    res.json({ notebooks: await notebooks.withOwnerNames(await notebooks.listFor(userOf(req))) });
  });

  router.post('/api/notebooks', async (req, res) => {
    const user = userOf(req);
    const { name, notebook } = body(req);
    let parsed: Notebook | undefined;
    if (notebook !== undefined) parsed = parseNotebook(notebook);
    const created: NotebookSummary = await notebooks.create(user, name, parsed);
    res.status(201).json(created);
  });

  router.get('/api/notebooks/:id', async (req, res) => {
    const { notebook } = await notebookFor(notebooks, req);
    const [named] = await notebooks.withOwnerNames([notebook]);
    res.json({ ...named, members: await notebooks.members(notebook.id) });
  });

  router.patch('/api/notebooks/:id', async (req, res) => {
    const { notebook } = await notebookFor(notebooks, req, can.editShared);
    const updated = await notebooks.rename(notebook.id, body(req).name);
    res.json({ ...updated, role: notebook.role });
  });

  router.delete('/api/notebooks/:id', async (req, res) => {
    const { notebook } = await notebookFor(notebooks, req, can.manage);
    await notebooks.remove(notebook.id);
    res.status(204).end();
  });

  router.put('/api/notebooks/:id/members/:userId', async (req, res) => {
    const { notebook } = await notebookFor(notebooks, req, can.manage);
    const { role } = body(req);
    if (!isRole(role)) throw new HttpError(400, 'invalid_role', 'role must be viewer, runner, editor or owner');
    res.json(await notebooks.setMember(notebook.id, String(req.params.userId), role));
  });

  router.delete('/api/notebooks/:id/members/:userId', async (req, res) => {
    const { notebook } = await notebookFor(notebooks, req, can.manage);
    await notebooks.removeMember(notebook.id, String(req.params.userId));
    res.status(204).end();
  });

  return router;
}
