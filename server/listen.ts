// The HTTP server in front of the app: the site (base URL, proxy trust, metrics before the app),
// WebSocket upgrades for sync checked against the allowed hosts, and listening on the port.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Express } from 'express';
import type { Config } from './config.ts';
import type { AllowedHosts } from './http/hosts.ts';
import { refuseUpgradeForHost } from './http/hosts.ts';
import { metricsRoutes } from './http/routes/metrics.ts';
import { createSite } from './http/site.ts';
import type { TrustFunction } from './http/site.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { SyncServer } from './sync/server.ts';

export interface HttpParts {
  config: Config;
  app: Express;
  trust: TrustFunction;
  metrics: Metrics;
  allowedHosts: AllowedHosts;
  sync: SyncServer;
  log: Logger;
}

/** Resolves once the server listens. */
export async function listenHttp({ config, app, trust, metrics, allowedHosts, sync, log }: HttpParts): Promise<Server> {
  const http = createServer(createSite(app, {
    baseUrl: config.baseUrl,
    trust,
    beforeApp: metricsRoutes(metrics, config.metricsToken),
    warnUntrustedForwarding:
      config.trustProxy === 0
        ? (from) => log.warn({ from }, 'X-Forwarded-For ignored: no --trust-proxy (behind a proxy, every client would share its address)')
        : undefined,
  }));
  http.on('upgrade', (req, socket, head) => {
    if (refuseUpgradeForHost(allowedHosts, req, socket)) return;
    if (!sync.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => resolve());
  });
  return http;
}
