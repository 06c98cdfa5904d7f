// Shared set-up of the browser tests: the real Cohort server (port 0, temp data dir) from the
// server's test helper, one Chromium, and REST shortcuts used to arrange a scenario.
import type { Browser } from 'playwright-core';
import { startTestServer } from '../helpers/server.ts';
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

export async function startE2E(overrides: Parameters<typeof startTestServer>[0] = {}): Promise<E2E> {
  const server = await startTestServer({ clientDir: builtClientDir(), ...overrides });
  let browser: Browser;
  try {
    browser = await launchBrowser();
  } catch (error) {
    await server.close();
    throw error;
  }
  return {
    url: server.url,
    adminToken: server.adminToken,
    browser,
    createUser: (name) => server.createUser(name),
    createNotebook: (token, name, notebook) =>
      apiCall<Summary>(server.url, token, 'POST', '/api/notebooks', notebook ? { name, notebook } : { name }),
    async setMember(ownerToken, notebookId, userIdOrName, role) {
      await apiCall(server.url, ownerToken, 'PUT', `/api/notebooks/${notebookId}/members/${encodeURIComponent(userIdOrName)}`, { role });
    },
    async close() {
      await browser.close();
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
