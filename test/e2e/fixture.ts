// Shared set-up of the browser tests: the real Cohort server (port 0, temp data dir) from the
// server's test helper, one Chromium, and REST shortcuts used to arrange a scenario. With
// COHORT_E2E_NGINX=1 (set by behindNginx.ts for nginx-*.test.ts, with a certificate that Node
// trusts) the same tests run through a real nginx: https://127.0.0.1:<port>/cohort/ in front of
// Cohort started with --base-url /cohort/ --trust-proxy 1. Most files share one server and browser
// for all their tests: `useE2E()` registers the hooks that start and stop them.
import { after, before } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { rmSync } from 'node:fs';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.ts';
import { reserveNginxAddress, startNginx, type NginxAddress } from '../helpers/nginx.ts';
import { apiCall, cspViolations, launchBrowser, openNotebookPage, signIn, type SignedInPage } from '../helpers/browser.ts';
import { builtClientDir } from './clientBuild.ts';
import type { JSONObject, Notebook, Output } from '../../shared/nbformat.ts';
import type { Role } from '../../shared/roles.ts';

export interface Summary {
  id: string;
  name: string;
  role: Role;
}

/** How long a browser test waits for a kernel's answer (a first start in a loaded machine is slow). */
export const KERNEL_TIMEOUT = 60_000;
/** How long it waits for the page to show what the server sent. */
export const UI_TIMEOUT = 10_000;

export interface E2E {
  url: string;
  /** The sync WebSocket endpoint, for a Node client of the rooms (test/helpers/clients.ts). */
  syncUrl: string;
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
    syncUrl: `${url.replace(/^http/, 'ws')}/sync`,
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

/**
 * One server and browser for every test of the file: registers the before/after hooks that start
 * and stop them, and returns them. Its fields are read when a test runs, after `before` started
 * them; the file's own hooks close them, so a test cannot.
 */
export function useE2E(overrides: Parameters<typeof startE2E>[0] = {}): Omit<E2E, 'close'> {
  let started: E2E | undefined;
  before(async () => {
    started = await startE2E(overrides);
  });
  after(async () => {
    await started?.close();
  });
  const current = (): E2E => {
    if (!started) throw new Error('the e2e server starts in before(): use it inside a test');
    return started;
  };
  return {
    get url() {
      return current().url;
    },
    get syncUrl() {
      return current().syncUrl;
    },
    get adminToken() {
      return current().adminToken;
    },
    get browser() {
      return current().browser;
    },
    createUser: (name) => current().createUser(name),
    createNotebook: (token, name, notebook) => current().createNotebook(token, name, notebook),
    setMember: (ownerToken, notebookId, userIdOrName, role) => current().setMember(ownerToken, notebookId, userIdOrName, role),
  };
}

export interface OwnerAndMember {
  nb: Summary;
  /** The admin's page. */
  owner: SignedInPage;
  /** The member's page. */
  member: SignedInPage;
  /** Closes both pages' contexts. */
  close(): Promise<void>;
}

/**
 * A new notebook of the admin's with one new member of `role`: both signed in, each in a browser
 * context of their own, with the notebook open. The caller closes them with `close()`.
 */
export async function ownerAndMember(
  e2e: Omit<E2E, 'close'>,
  options: { notebookName: string; notebook?: Notebook; memberName: string; role: Role },
): Promise<OwnerAndMember> {
  const user = await e2e.createUser(options.memberName);
  const nb = await e2e.createNotebook(e2e.adminToken, options.notebookName, options.notebook);
  await e2e.setMember(e2e.adminToken, nb.id, user.id, options.role);
  const pages: SignedInPage[] = [];
  const close = async () => {
    for (const page of pages) await page.context.close();
  };
  try {
    pages.push(await signIn(e2e.browser, e2e.url, e2e.adminToken));
    pages.push(await signIn(e2e.browser, e2e.url, user.token));
    for (const { page } of pages) await openNotebookPage(page, e2e.url, nb.id);
  } catch (error) {
    await close();
    throw error;
  }
  const [owner, member] = pages as [SignedInPage, SignedInPage];
  return { nb, owner, member, close };
}

/** The teacher's page starts a live session from its panel; resolves with the join code it shows. */
export async function startLiveSession(teacher: Page): Promise<string> {
  await teacher.locator('button.session-toggle').click();
  await teacher.locator('.classroom-panel button.start-session').click();
  return ((await teacher.locator('.classroom-panel .join-code').textContent({ timeout: UI_TIMEOUT })) ?? '').trim();
}

export function codeCell(source: string, outputs: Output[] = [], metadata: JSONObject = {}) {
  return { cell_type: 'code' as const, source, metadata, execution_count: null, outputs };
}

export function markdownCell(source: string) {
  return { cell_type: 'markdown' as const, source, metadata: {} };
}

export { notebookOf } from '../../shared/schema.ts';
