// `GET /metrics` for Prometheus. It answers only to the metrics token (`Authorization: Bearer …`),
// a secret of its own: a scraper holds no power over notebooks, and monitoring never needs the
// admin token. Not in the query string (it would land in access logs); compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { Metrics } from '../../metrics.ts';
import { sendError } from '../errors.ts';

const digest = (text: string) => createHash('sha256').update(text).digest();

export function metricsRoutes(metrics: Metrics, token: string | undefined): Router {
  const router = Router();
  const expected = token === undefined ? undefined : digest(token);
  router.get('/metrics', async (req, res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    if (!expected) {
      sendError(res, 404, 'metrics_disabled', 'metrics are off: start the server with --metrics-token-file (or COHORT_METRICS_TOKEN)');
      return;
    }
    const header = req.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (given === '' || !timingSafeEqual(digest(given), expected)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="cohort metrics"');
      sendError(res, 401, 'unauthorized', 'the metrics token is required: Authorization: Bearer <metrics token>');
      return;
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
