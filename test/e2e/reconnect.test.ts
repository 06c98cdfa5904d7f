// The server goes away and comes back (same port, same data): the page shows it is offline, keeps
// the edits made meanwhile, and resyncs them without a reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { apiCall, cellEditor, launchBrowser, openNotebookPage, signIn, waitForCellText } from '../helpers/browser.ts';
import { builtClientDir } from './clientBuild.ts';

test('offline edits survive a server restart and reach others after reconnecting', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cohort-e2e-reconnect-'));
  const clientDir = builtClientDir();
  const browser = await launchBrowser();
  let server: TestServer | undefined = await startTestServer({ dataDir, clientDir });
  try {
    const { url, port, adminToken } = server;
    const nb = await apiCall<{ id: string }>(url, adminToken, 'POST', '/api/notebooks', { name: 'Flaky network' });
    const a = await signIn(browser, url, adminToken);
    await openNotebookPage(a.page, url, nb.id);
    await a.page.waitForSelector('.connection[data-state="online"]');
    await cellEditor(a.page, 0).click();
    await a.page.keyboard.type('before = 1');
    await a.page.evaluate(() => ((window as { __sameDocument?: boolean }).__sameDocument = true));

    await server.close();
    server = undefined;
    await a.page.waitForSelector('.connection[data-state="offline"]', { timeout: 10_000 });
    await a.page.keyboard.press('End');
    await a.page.keyboard.type('; offline = 2');

    server = await startTestServer({ dataDir, clientDir, port });
    await a.page.waitForSelector('.connection[data-state="online"]', { timeout: 20_000 });
    assert.equal(await a.page.evaluate(() => (window as { __sameDocument?: boolean }).__sameDocument), true, 'no reload');

    const b = await signIn(browser, url, adminToken);
    await openNotebookPage(b.page, url, nb.id);
    await waitForCellText(b.page, 0, (text) => text === 'before = 1; offline = 2');
    assert.deepEqual([...a.pageErrors, ...b.pageErrors], []);
  } finally {
    await browser.close();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
