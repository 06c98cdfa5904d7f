// Login CSRF and DNS rebinding in a real browser. A second local server plays the foreign site
// (`foreign.test`, mapped to 127.0.0.1 by Chromium's resolver rules, so it is cross-site to the
// Cohort server at 127.0.0.1): its pages navigate visitors to `/login?token=<mallory's>`, post
// forms to `/login` and `/api/login`. None of it may change who the visitor is signed in as.
// A name rebound to 127.0.0.1 (`rebound.test`) reaches Cohort's port and must be refused.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CHROMIUM_PATH } from '../helpers/browser.ts';
import type { TestServer } from '../helpers/server.ts';
import { startTestServer } from '../helpers/server.ts';
import { builtClientDir } from './clientBuild.ts';

describe('sign-in cannot be forced by another site', { timeout: 180_000 }, () => {
  let t: TestServer;
  let browser: Browser;
  let foreign: Server;
  let foreignUrl: string;
  let alice: { id: string; token: string };
  let mallory: { id: string; token: string };
  const contexts: BrowserContext[] = [];

  /** Pages of the foreign site; `to` and `token` come from the query. */
  function foreignPage(path: string, query: URLSearchParams): string {
    const to = JSON.stringify(query.get('to') ?? '');
    const token = (query.get('token') ?? '').replace(/[^\w-]/g, '');
    switch (path) {
      case '/navigate':
        return `<!doctype html><p>Nothing to see</p><script>location.href = ${to};</script>`;
      case '/post-login':
        return `<!doctype html><form id="f" method="post" action=${to}><input name="token" value="${token}"></form>
<script>document.getElementById('f').submit();</script>`;
      case '/post-api-login':
        // A JSON body cannot be sent cross-site without CORS; a text/plain form is the closest a page gets.
        return `<!doctype html><form id="f" method="post" enctype="text/plain" action=${to}>
<input name='{"token":"${token}","x":"' value='"}'></form><script>document.getElementById('f').submit();</script>`;
      default:
        return '<!doctype html><p>foreign site</p>';
    }
  }

  before(async () => {
    t = await startTestServer({ clientDir: builtClientDir() });
    alice = await t.createUser('alice');
    mallory = await t.createUser('mallory');
    foreign = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(foreignPage(url.pathname, url.searchParams));
    });
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    foreignUrl = `http://foreign.test:${(foreign.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--host-resolver-rules=MAP *.test 127.0.0.1'],
    });
  });
  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await new Promise((resolve) => foreign?.close(resolve));
    await t?.close();
  });

  async function visitor(signedInAs?: { token: string }): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    context.setDefaultTimeout(20_000);
    contexts.push(context);
    const page = await context.newPage();
    if (signedInAs) {
      // Opened by the visitor (as from the terminal): signs in directly.
      await page.goto(`${t.url}/login?token=${signedInAs.token}`);
      assert.equal(await whoIs(context), 'alice');
    }
    return { context, page };
  }

  /** Who the browser is signed in as on Cohort (its cookie jar), or `nobody`. */
  async function whoIs(context: BrowserContext): Promise<string> {
    const res = await context.request.get(`${t.url}/api/me`);
    return res.ok() ? ((await res.json()) as { name: string }).name : 'nobody';
  }

  const home = (url: URL) => url.origin === t.url && url.pathname === '/';
  const loginUrl = (token: string) => `${t.url}/login?token=${token}`;
  const via = (path: string, to: string, token = '') =>
    `${foreignUrl}${path}?to=${encodeURIComponent(to)}&token=${encodeURIComponent(token)}`;

  it('a foreign page sending a signed-in visitor to /login?token=<mallory> gets a question, not a switch', async () => {
    const { context, page } = await visitor(alice);
    await page.goto(via('/navigate', loginUrl(mallory.token)));
    await page.locator('#confirm-sign-in').waitFor();
    assert.ok(page.url().startsWith(`${t.url}/login?`));
    assert.match(await page.locator('main').innerText(), /signed in as alice[\s\S]*Sign in as mallory/);
    assert.equal(await whoIs(context), 'alice');
    // The question works: the visitor who does want to switch can (and the check above would see it).
    await page.locator('#confirm').click();
    await page.waitForURL(home);
    assert.equal(await whoIs(context), 'mallory');
  });

  it('a visitor with no session sent there by a foreign page is not signed in as mallory either', async () => {
    const { context, page } = await visitor();
    await page.goto(via('/navigate', loginUrl(mallory.token)));
    await page.locator('#confirm-sign-in').waitFor();
    assert.equal(await whoIs(context), 'nobody');
    assert.deepEqual((await context.cookies(t.url)).map((c) => c.name), []);
  });

  it('forms a foreign page posts to /login and /api/login are refused', async () => {
    const { context, page } = await visitor(alice);
    const refused = page.waitForResponse((r) => r.url() === `${t.url}/login` && r.request().method() === 'POST');
    await page.goto(via('/post-login', `${t.url}/login`, mallory.token));
    assert.equal((await refused).status(), 403);
    assert.equal(await whoIs(context), 'alice');
    const refusedApi = page.waitForResponse((r) => r.url() === `${t.url}/api/login`);
    await page.goto(via('/post-api-login', `${t.url}/api/login`, mallory.token));
    assert.equal((await refusedApi).status(), 403);
    assert.equal(await whoIs(context), 'alice');
    const fresh = await visitor();
    const refusedFresh = fresh.page.waitForResponse((r) => r.url() === `${t.url}/login` && r.request().method() === 'POST');
    await fresh.page.goto(via('/post-login', `${t.url}/login`, mallory.token));
    assert.equal((await refusedFresh).status(), 403);
    assert.equal(await whoIs(fresh.context), 'nobody');
  });

  it('the login URL opened by a signed-in visitor themselves still asks before switching accounts', async () => {
    const { context, page } = await visitor(alice);
    await page.goto(loginUrl(mallory.token));
    await page.locator('#confirm-sign-in').waitFor();
    assert.equal(await whoIs(context), 'alice');
    await page.locator('#cancel').click();
    await page.waitForURL(home);
    assert.equal(await whoIs(context), 'alice');
  });

  it('a name rebound to the server’s address is refused, for the page and for WebSocket upgrades', async () => {
    const { page } = await visitor();
    const rebound = `http://rebound.test:${t.port}`;
    const res = await page.goto(`${rebound}/`);
    assert.equal(res?.status(), 403);
    assert.match(await page.locator('body').innerText(), /host_not_allowed/);
    const socket = await page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url);
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
        }),
      `ws://rebound.test:${t.port}/sync/anything`,
    );
    assert.equal(socket, 'refused');
  });
});
