// Real Chromium for e2e tests (Debian's /usr/bin/chromium through playwright-core), plus the
// small helpers every browser test needs: a signed-in page, REST calls with a bearer token,
// screenshots into test-output/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Every Content-Security-Policy violation reported by a page of a context from `signIn` or
 * `joinAsGuest` in this test process: the page must not trip its own policy, so the e2e fixture
 * fails the file when this is not empty (test/e2e/fixture.ts).
 *
 * One kind is not counted: an inline handler, <style> or <base> that is no longer there when the
 * report arrives. Chromium applies the page's CSP to the inert document DOMPurify parses untrusted
 * markup into, so sanitizing `<img onerror=…>` reports a refusal for an attribute DOMPurify then
 * removes. A handler still on an element, a <style> or <base> still in the page, and every blocked
 * fetch count.
 */
export const cspViolations: string[] = [];

const CSP_MARK = '[csp-violation]';

export async function watchCspViolations(context: BrowserContext, into: string[] = cspViolations): Promise<void> {
  // An init script runs before the page's own code and is not subject to the page's CSP.
  await context.addInitScript((mark: string) => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const target = event.target;
      const inline = event.blockedURI === 'inline' || event.blockedURI === '';
      const handlerGone =
        event.effectiveDirective === 'script-src-attr' &&
        !(target instanceof Element && target.isConnected && [...target.attributes].some((attribute) => attribute.name.startsWith('on')));
      const styleGone = event.effectiveDirective === 'style-src-elem' && inline && !(target instanceof Element && target.isConnected);
      const baseGone = event.effectiveDirective === 'base-uri' && !document.querySelector('base');
      if ((inline && handlerGone) || styleGone || baseGone) return;
      const where = target instanceof Element ? target.outerHTML.slice(0, 200) : String(target);
      console.error(
        `${mark} ${event.effectiveDirective} blocked ${event.blockedURI || 'inline'} (${event.sourceFile}:${event.lineNumber}:${event.columnNumber}) on ${where}`,
      );
    });
  }, CSP_MARK);
  context.on('console', (message) => {
    if (message.text().startsWith(CSP_MARK)) into.push(`${message.page()?.url() ?? ''}: ${message.text()}`);
  });
}

export interface SignedInPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors in the page, so a test can assert there were none. */
  pageErrors: Error[];
}

/**
 * A fresh browser context (its own cookie jar). It accepts the self-signed certificate of the
 * test nginx (test/e2e/nginx-*.test.ts); nothing else in the tests speaks TLS.
 */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, ignoreHTTPSErrors: true });
  context.setDefaultTimeout(20_000);
  // A page load waits for every asset; on a machine shared with other suites it can take longer.
  context.setDefaultNavigationTimeout(60_000);
  await watchCspViolations(context);
  return context;
}

/** A fresh browser context signed in through the printed login URL. */
export async function signIn(browser: Browser, baseUrl: string, token: string): Promise<SignedInPage> {
  const context = await newContext(browser);
  const page = await context.newPage();
  const pageErrors: Error[] = [];
  page.on('pageerror', (error) => pageErrors.push(error));
  await page.goto(`${baseUrl}/login?token=${encodeURIComponent(token)}`);
  await page.waitForSelector('#whoami .user-name');
  return { context, page, pageErrors };
}

/** Calls the REST API as a user; throws with the server's message on an error status. */
export async function apiCall<T>(baseUrl: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = join(process.cwd(), 'test-output');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/** Opens a notebook and waits until its cells are on the page. */
export async function openNotebookPage(page: Page, baseUrl: string, notebookId: string): Promise<void> {
  await page.goto(`${baseUrl}/#/nb/${notebookId}`);
  await page.waitForSelector('.notebook-page .cells');
}

/** The CodeMirror content element of the n-th cell (0-based). */
export function cellEditor(page: Page, index: number) {
  return page.locator('.cell').nth(index).locator('.cm-content');
}

/** The source text of the n-th cell as its editor shows it, without remote cursor labels. */
export function cellText(page: Page, index: number): Promise<string> {
  return page.locator('.cell').nth(index).locator('.cm-content').evaluate((content) => {
    const copy = content.cloneNode(true) as HTMLElement;
    for (const caret of copy.querySelectorAll('.cm-ySelectionCaret, .cm-widgetBuffer')) caret.remove();
    return [...copy.querySelectorAll('.cm-line')].map((line) => line.textContent ?? '').join('\n');
  });
}

/** Waits until the n-th cell's source (as shown) satisfies `test`. */
export async function waitForCellText(page: Page, index: number, test: (text: string) => boolean, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await cellText(page, index).catch(() => '');
    if (test(last)) return last;
    await page.waitForTimeout(100);
  }
  throw new Error(`cell ${index} text never matched; last seen: ${JSON.stringify(last)}`);
}

/**
 * A fresh browser context (no account) that joins a live session through the join page, as a
 * student typing the code would; resolves once the notebook is on the page.
 */
export async function joinAsGuest(browser: Browser, baseUrl: string, code: string, name: string): Promise<SignedInPage> {
  const context = await newContext(browser);
  const page = await context.newPage();
  const pageErrors: Error[] = [];
  page.on('pageerror', (error) => pageErrors.push(error));
  await page.goto(`${baseUrl}/#/join/${encodeURIComponent(code)}`);
  await page.locator('form.join-form input[name="name"]').fill(name);
  await page.locator('form.join-form button[type="submit"]').click();
  await page.waitForSelector('.notebook-page .cells .cell');
  return { context, page, pageErrors };
}
