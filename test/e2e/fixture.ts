// Shared set-up of the browser tests: the real Cohort server (port 0, temp data dir) from the
// server's test helper, one Chromium, and REST shortcuts used to arrange a scenario. With
// COHORT_E2E_NGINX=1 (set by behindNginx.ts for nginx-*.test.ts, with a certificate that Node
// trusts) the same tests run through a real nginx: https://127.0.0.1:<port>/cohort/ in front of
// Cohort started with --base-url /cohort/ --trust-proxy 1.
import type { Browser } from 'playwright-core';
import { rmSync } from 'node:fs';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.ts';
import { reserveNginxAddress, startNginx, type NginxAddress } from '../helpers/nginx.ts';
import { apiCall, cspViolations, launchBrowser } from '../helpers/browser.ts';
import { builtClientDir } from './clientBuild.ts';
import type { JSONObject, Notebook, Output } from '../../shared/nbformat.ts';
import type { Role } from '../../shared/roles.ts';

export interface Summary {
  id: string;
  name: string;
  role: Role;
}

export interface E2E {
  url: string;
  adminToken: string;
  browser: Browser;
  createUser(name: string): Promise<{ id: string; token: string }>;
  createNotebook(token: string, name: string, notebook?: Notebook): Promise<Summary>;
  setMember(ownerToken: string, notebookId: string, userIdOrName: string, role: Role): Promise<void>;
  close(): Promise<void>;
}

/** The proxy in front when the tests run behind nginx, else none. */
async function proxyFor(server: TestServer, address: NginxAddress | undefined): Promise<{ url: string; close(): Promise<void> } | undefined> {
  if (!address) return undefined;
  const cert = process.env['COHORT_E2E_NGINX_CERT'];
  const key = process.env['COHORT_E2E_NGINX_KEY'];
  if (!cert || !key) throw new Error('COHORT_E2E_NGINX needs COHORT_E2E_NGINX_CERT and _KEY (run test/e2e/nginx-*.test.ts)');
  const dir = tempDir('cohort-nginx-');
  const nginx = await startNginx({ address, upstreamPort: server.port, certificate: { cert, key }, dir });
  // Read by behindNginx.ts: proof that the run really went through the proxy.
  console.log(`e2e through nginx: ${nginx.url}/ -> ${server.url}/`);
  return {
    url: nginx.url,
    close: async () => {
      await nginx.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startE2E(overrides: Parameters<typeof startTestServer>[0] = {}): Promise<E2E> {
  const address = process.env['COHORT_E2E_NGINX'] === '1' ? await reserveNginxAddress() : undefined;
  const server = await startTestServer({
    clientDir: builtClientDir(),
    ...(address ? { baseUrl: '/cohort/', trustProxy: 1, allowedOrigins: [address.origin] } : {}),
    ...overrides,
  });
  let browser: Browser;
  let proxy: Awaited<ReturnType<typeof proxyFor>>;
  try {
    proxy = await proxyFor(server, address);
    browser = await launchBrowser();
  } catch (error) {
    await proxy?.close();
    await server.close();
    throw error;
  }
  const url = proxy?.url ?? server.url;
  return {
    url,
    adminToken: server.adminToken,
    browser,
    createUser: (name) => server.createUser(name),
    createNotebook: (token, name, notebook) => apiCall<Summary>(url, token, 'POST', '/api/notebooks', notebook ? { name, notebook } : { name }),
    async setMember(ownerToken, notebookId, userIdOrName, role) {
      await apiCall(url, ownerToken, 'PUT', `/api/notebooks/${notebookId}/members/${encodeURIComponent(userIdOrName)}`, { role });
    },
    async close() {
      await browser.close();
      await proxy?.close();
      await server.close();
      if (cspViolations.length > 0) throw new Error(`the page tripped its own Content-Security-Policy:\n${cspViolations.join('\n')}`);
    },
  };
}

export function codeCell(source: string, outputs: Output[] = [], metadata: JSONObject = {}) {
  return { cell_type: 'code' as const, source, metadata, execution_count: null, outputs };
}

export function markdownCell(source: string) {
  return { cell_type: 'markdown' as const, source, metadata: {} };
}

export { notebookOf } from '../../shared/schema.ts';
