// `POST /api/notebooks/:id/widgets/:modelId/messages { content }`: a widget's custom message
// (e.g. a Button click) to the kernel that owns the model. Only a user who may write the model's
// document may send one: the model's user for private widgets, editors and owners for shared ones.
import { Router } from 'express';
import type { Response } from 'express';
import type { JSONObject } from '../../../shared/nbformat.ts';
import { can } from '../../../shared/roles.ts';
import type { ExecutionService } from '../../execution/service.ts';
import type { Notebooks } from '../../notebooks/service.ts';
import type { CustomRefusal, CustomVerdict, WidgetBridge } from '../../widgets/bridge.ts';
import { HttpError } from '../../errors.ts';
import { notebookFor } from './notebooks.ts';

export function widgetRoutes(notebooks: Notebooks, execution: ExecutionService, widgets: WidgetBridge, maxMessageBytes: number): Router {
  const router = Router();
  router.post('/api/notebooks/:id/widgets/:modelId/messages', async (req, res) => {
    const { user, notebook } = await notebookFor(notebooks, req);
    const modelId = String(req.params.modelId);
    const content: unknown = (req.body as { content?: unknown } | undefined)?.content;
    if (typeof content !== 'object' || content === null || Array.isArray(content)) {
      throw new HttpError(400, 'invalid_content', 'content must be a JSON object');
    }
    const bytes = Buffer.byteLength(JSON.stringify(content));
    if (bytes > maxMessageBytes) {
      throw new HttpError(
        413,
        'widget_message_too_large',
        `a widget message of ${bytes} bytes is larger than the ${maxMessageBytes} a widget may hold (--max-widget-state-bytes)`,
      );
    }
    const own = await execution.existingSession({ notebookId: notebook.id, userId: user.id });
    if (own?.results.widgets.has(modelId)) {
      if (!can.runUserCells(notebook.role)) throw new HttpError(403, 'forbidden', 'your role may not use widgets');
      answer(res, await widgets.custom(own, modelId, user.id, content as JSONObject));
      return;
    }
    const shared = await execution.existingSession({ notebookId: notebook.id, shared: true });
    if (shared?.results.widgets.has(modelId)) {
      if (!can.editShared(notebook.role)) {
        throw new HttpError(403, 'forbidden', 'only editors and owners may use shared widgets');
      }
      answer(res, await widgets.custom(shared, modelId, user.id, content as JSONObject));
      return;
    }
    throw new HttpError(404, 'widget_not_found', `no widget "${modelId}" of yours or shared in this notebook`);
  });
  return router;
}

const STATUS: Record<CustomRefusal, number> = { forbidden: 403, widget_not_found: 404, kernel_gone: 409, widget_message_too_large: 413, internal: 500 };

function answer(res: Response, verdict: CustomVerdict): void {
  if (!verdict.sent) throw new HttpError(STATUS[verdict.code], verdict.code, verdict.reason);
  res.status(202).json({ delivered: true });
}
