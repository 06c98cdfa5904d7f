// `GET /widget-modules/<module>/<path>`: a file of a third-party widget library's front end, from
// the kernels' Jupyter data dirs (server/widgets/frontends.ts), for the page to load when a model
// names that module. Signed-in users only (guests included: their notebook's widgets need it);
// what is served is installed software, not anyone's content.
import { basename, dirname } from 'node:path';
import { Router } from 'express';
import type { WidgetFrontends } from '../../widgets/frontends.ts';
import { splitModulePath } from '../../widgets/frontends.ts';
import { userOf } from '../auth.ts';
import { HttpError } from '../../errors.ts';

export function widgetModuleRoutes(frontends: WidgetFrontends): Router {
  const router = Router();
  router.get('/widget-modules/*path', async (req, res) => {
    userOf(req);
    const segments = (req.params as { path?: string[] }).path ?? [];
    const request = splitModulePath(segments);
    const found = request && (await frontends.file(request.module, request.path));
    if (!found) throw new HttpError(404, 'widget_module_not_found', `no widget front end file ${JSON.stringify(segments.join('/').slice(0, 200))} is installed`);
    res.setHeader('Content-Type', found.contentType);
    res.setHeader('Cache-Control', 'private, max-age=300');
    // Loaded by this origin's pages only.
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    // Relative to its folder: the data dir itself may sit under a dot folder (the project's .python).
    res.sendFile(basename(found.path), { root: dirname(found.path), dotfiles: 'deny', headers: { 'Content-Type': found.contentType } });
  });
  return router;
}
