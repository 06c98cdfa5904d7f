// Where Cohort is reachable: under its base URL (`--base-url /prefix/`) and behind the proxies it
// trusts (`--trust-proxy`). The one place that knows both: the app is mounted under the base URL
// here, routes ask `basePath(req)` for links and cookie paths, and WebSocket upgrades ask
// `clientAddress` for the client's address, computed by the same trust function as express's `req.ip`.
import type { IncomingMessage } from 'node:http';
import express from 'express';
import type { Request, Router } from 'express';
import proxyaddr from 'proxy-addr';
import type { TrustProxy } from '../config.ts';
import { sendError } from './errors.ts';

export type TrustFunction = (address: string, hop: number) => boolean;

/**
 * Whom to believe about X-Forwarded-For/-Proto: the first `n` hops (the socket's peer is hop 0),
 * or the listed addresses. Without `--trust-proxy` nobody: the headers are then ignored.
 */
export function trustFunction(trust: TrustProxy): TrustFunction {
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return proxyaddr.compile(trust);
}

/** The client's address for a raw request (a WebSocket upgrade), as `req.ip` would give it. */
export function clientAddress(req: IncomingMessage, trust: TrustFunction): string {
  return proxyaddr(req, trust);
}

export interface SiteOptions {
  /** `/` or `/prefix/` (normalized by the config). */
  baseUrl: string;
  trust: TrustFunction;
  /**
   * Called once when a request carries X-Forwarded-For that nobody is trusted to send (no
   * `--trust-proxy`): either a proxy is in front and every client shares its address, or a client
   * is trying its luck. Either way the operator should know.
   */
  warnUntrustedForwarding?: (from: string | undefined) => void;
  /** Routes answered before the app's own middleware (the metrics scrape), under the base URL too. */
  beforeApp?: Router;
}

/** The base path the app is mounted under, for links, redirects and cookie paths: `/` or `/prefix/`. */
export function basePath(req: Request): string {
  const base: unknown = req.app.locals['basePath'];
  return typeof base === 'string' ? base : '/';
}

/** The request handler the HTTP server runs: the app under the base URL, nothing outside it. */
export function createSite(app: express.Express, options: SiteOptions): express.Express {
  const base = options.baseUrl;
  const site = express();
  site.disable('x-powered-by');
  // A function rather than express's own parsing of the option, so that `clientAddress` (for
  // WebSocket upgrades, which express never sees) uses the very same rule. The mounted app has
  // no setting of its own and inherits this one.
  site.set('trust proxy', options.trust);
  app.locals['basePath'] = base;
  if (options.warnUntrustedForwarding) {
    let warned = false;
    site.use((req, _res, next) => {
      if (!warned && req.headers['x-forwarded-for'] !== undefined) {
        warned = true;
        options.warnUntrustedForwarding?.(req.socket.remoteAddress);
      }
      next();
    });
  }

  const mountPath = base === '/' ? '/' : base.slice(0, -1);
  if (base !== '/') {
    // `/prefix` without its slash: the page's relative asset URLs need the slash to resolve.
    site.use((req, res, next) => {
      if (req.path !== mountPath) return next();
      const query = req.originalUrl.indexOf('?');
      res.redirect(308, base + (query >= 0 ? req.originalUrl.slice(query) : ''));
    });
  }
  if (options.beforeApp) site.use(mountPath, options.beforeApp);
  site.use(mountPath, app);
  site.use((_req, res) => sendError(res, 404, 'not_found', `Cohort is served under ${base}`));
  return site;
}
