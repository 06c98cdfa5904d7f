// Every route of the express app as `METHOD /path` (regex paths as their source), read from the
// router stack, so a test can require an entry for each — a route added later without one fails.
import type { Express } from 'express';

interface Layer {
  route?: { path: string | RegExp; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  /** Express 5: true for a layer mounted at `/` (app.use(router) without a path). */
  slash?: boolean;
  name?: string;
}

export function listRoutes(app: Express): string[] {
  const router = (app as unknown as { router: { stack: Layer[] } }).router;
  const found: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const path = typeof layer.route.path === 'string' ? layer.route.path : String(layer.route.path);
        for (const [method, on] of Object.entries(layer.route.methods)) if (on) found.push(`${method.toUpperCase()} ${path}`);
      } else if (layer.handle?.stack) {
        // A router mounted under a prefix would hide it from the paths above: say so rather than guess.
        if (layer.slash !== true) throw new Error(`router "${layer.name ?? '?'}" is mounted under a prefix; teach listRoutes to read it`);
        walk(layer.handle.stack);
      }
    }
  };
  walk(router.stack);
  return found;
}
