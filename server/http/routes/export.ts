// `GET /api/notebooks/:id/export?format=ipynb|py|md|html&outputs=mine|shared|none` — a download.
// (`format=zip`, the notebook with its files, is the files layer's: routes/files.ts.)
import { Router } from 'express';
import { can } from '../../../shared/roles.ts';
import { EXPORT_CSP, exportNotebook } from '../../export/index.ts';
import type { Notebooks } from '../../notebooks/service.ts';
import type { OutputChoice } from '../../notebooks/snapshot.ts';
import { notebookSnapshot } from '../../notebooks/snapshot.ts';
import type { Rooms } from '../../sync/rooms.ts';
import { HttpError } from '../../errors.ts';
import { notebookFor } from './notebooks.ts';

const FORMATS = ['ipynb', 'py', 'md', 'html'] as const;
type Format = (typeof FORMATS)[number];
const OUTPUTS: readonly OutputChoice[] = ['mine', 'shared', 'none'];

export function exportRoutes(notebooks: Notebooks, rooms: Rooms): Router {
  const router = Router();
  router.get('/api/notebooks/:id/export', async (req, res, next) => {
    if (req.query.format === 'zip') {
      next();
      return;
    }
    const { user, notebook } = await notebookFor(notebooks, req);
    const format = (req.query.format ?? 'ipynb') as Format;
    const outputs = (req.query.outputs ?? 'mine') as OutputChoice;
    if (!FORMATS.includes(format)) throw new HttpError(400, 'invalid_format', `format must be one of ${FORMATS.join(', ')}`);
    if (!OUTPUTS.includes(outputs)) throw new HttpError(400, 'invalid_outputs', `outputs must be one of ${OUTPUTS.join(', ')}`);
    const nb = await notebookSnapshot(rooms, notebook.id, outputs, user.id, can.editShared(notebook.role));
    const file = exportNotebook(nb, format, { name: notebook.name });
    res.setHeader('Content-Type', file.contentType);
    res.setHeader('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.filename)}`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (format === 'html') res.setHeader('Content-Security-Policy', EXPORT_CSP);
    res.send(file.body);
  });
  return router;
}
