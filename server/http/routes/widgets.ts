// `POST /api/notebooks/:id/widgets/:modelId/messages { content }`: a widget's custom message
// (e.g. a Button click) to the kernel that owns the model. Only a user who may write the model's
// document may send one: the model's user for private widgets, editors and owners for shared ones.
import { Router } from 'express';
import type { Response } from 'express';
import type { JSONObject } from '../../../shared/nbformat.ts';
import type { Notebooks } from '../../notebooks/service.ts';
import type { WidgetBridge } from '../../widgets/bridge.ts';
import type { CustomRefusal, CustomVerdict } from '../../widgets/widgetSession.ts';
import { HttpError } from '../../errors.ts';
import { notebookFor } from './notebooks.ts';

export function widgetRoutes(notebooks: Notebooks, widgets: WidgetBridge, maxMessageBytes: number): Router {
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
    answer(res, await widgets.customFromUser(notebook, user.id, modelId, content as JSONObject));
  });
  return router;
}

const STATUS: Record<CustomRefusal, number> = { forbidden: 403, widget_not_found: 404, kernel_gone: 409, widget_message_too_large: 413, internal: 500 };

function answer(res: Response, verdict: CustomVerdict): void {
  if (!verdict.sent) throw new HttpError(STATUS[verdict.code], verdict.code, verdict.reason);
  res.status(202).json({ delivered: true });
}
