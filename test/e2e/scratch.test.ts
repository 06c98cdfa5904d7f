// Scratch cells in real browsers: a student adds cells of her own between the shared cells, runs
// them in her kernel, and they keep their place while the teacher inserts, moves and deletes the
// shared cells around them (the deleted anchor's nearest surviving predecessor takes them); they
// survive a reload and a restart of the server, and never show up in the teacher's page, documents
// or exports. Its own server (not the e2e fixture's) so it can be restarted on the same data.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { rmSync } from 'node:fs';
import type { Notebook } from '../../shared/nbformat.ts';
import { privateRoom, sharedRoom } from '../../shared/rooms.ts';
import { apiCall, cspViolations, launchBrowser, openNotebookPage, screenshot, signIn, type SignedInPage } from '../helpers/browser.ts';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.ts';
import { pythonValidate } from '../unit/notebooks/notebookFiles.ts';
import { builtClientDir } from './clientBuild.ts';
import { codeCell, notebookOf } from './fixture.ts';

const KERNEL_TIMEOUT = 60_000;
const UI_TIMEOUT = 10_000;

let server: TestServer;
let browser: Browser;
const dataDir = tempDir();
const clientDir = builtClientDir();

before(async () => {
  server = await startTestServer({ clientDir, dataDir });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
  assert.deepEqual(cspViolations, [], 'the page tripped its own Content-Security-Policy');
});

/** The page's cells in order: shared cell ids, and `scratch:<first line>` for scratch cells. */
function pageOrder(page: Page): Promise<string[]> {
  return page.locator('.notebook-page > .cells > .cell, .notebook-page > .cells > .scratch-cell').evaluateAll((elements) =>
    elements.map((element) => {
      if (!element.classList.contains('scratch-cell')) return element.getAttribute('data-cell-id') ?? '?';
      const line = element.querySelector('.cm-line')?.textContent ?? element.querySelector('.rendered-markdown')?.textContent ?? '';
      return `scratch:${line.trim()}`;
    }),
  );
}

async function waitForOrder(page: Page, expected: string[]): Promise<void> {
  const deadline = Date.now() + UI_TIMEOUT;
  let last: string[] = [];
  while (Date.now() < deadline) {
    last = await pageOrder(page);
    if (JSON.stringify(last) === JSON.stringify(expected)) return;
    await page.waitForTimeout(100);
  }
  assert.deepEqual(last, expected, 'the page never showed the cells in this order');
}

const cell = (page: Page, id: string) => page.locator(`.notebook-page > .cells > .cell[data-cell-id="${id}"]`);

test('scratch cells: added, run, kept in place around edits by others, through a reload and a restart, and nobody else’s', async () => {
  const student = await server.createUser('ada');
  const owner = server.adminToken;
  const nb = await apiCall<{ id: string }>(server.url, owner, 'POST', '/api/notebooks', {
    name: 'Scratch',
    notebook: notebookOf(['c1', 'c2', 'c3', 'c4'].map((id) => ({ ...codeCell(`${id} = '${id}'`), id }))),
  });
  await apiCall(server.url, owner, 'PUT', `/api/notebooks/${nb.id}/members/${student.id}`, { role: 'runner' });
  const pages: SignedInPage[] = [];
  try {
    const teacher = await signIn(browser, server.url, owner);
    const ada = await signIn(browser, server.url, student.token);
    pages.push(teacher, ada);
    const [t, a] = [teacher.page, ada.page];
    await openNotebookPage(t, server.url, nb.id);
    await openNotebookPage(a, server.url, nb.id);

    // Ada adds a code cell of her own below c2 and runs it, then a markdown one below it.
    await cell(a, 'c2').locator('button.add-scratch').click();
    const mine = a.locator('.scratch-cell').first();
    await mine.locator('.cm-content:focus').waitFor({ timeout: UI_TIMEOUT });
    await a.keyboard.type('mine = 40 + 2\nprint("scratch", mine)');
    await a.keyboard.press('Shift+Enter');
    await mine.locator('.output-stream', { hasText: 'scratch 42' }).waitFor({ timeout: KERNEL_TIMEOUT });
    assert.match((await mine.locator('.scratch-label').textContent()) ?? '', /Only you see this cell/);
    await mine.locator('button.add-scratch').click();
    const note = a.locator('.scratch-cell').nth(1);
    await note.locator('.cm-content:focus').waitFor({ timeout: UI_TIMEOUT });
    await note.locator('select.cell-type').selectOption('markdown');
    await a.locator('.scratch-cell.scratch-markdown').waitFor({ timeout: UI_TIMEOUT });
    await a.locator('.scratch-cell.scratch-markdown .cm-content').click();
    await a.keyboard.type('my note');
    await a.keyboard.press('Escape');
    await a.locator('.scratch-cell.scratch-markdown .rendered-markdown', { hasText: 'my note' }).waitFor({ timeout: UI_TIMEOUT });
    const placed = ['c1', 'c2', 'scratch:mine = 40 + 2', 'scratch:my note', 'c3', 'c4'];
    await waitForOrder(a, placed);
    await screenshot(a, 'scratch-cells');

    // The teacher sees none of it.
    assert.equal(await t.locator('.scratch-cell').count(), 0);
    assert.ok(!(await t.content()).includes('mine = 40'));

    // The teacher inserts a cell below c2, moves c3 above c2, then moves c2 to the end: Ada's cells stay with c2.
    await cell(t, 'c2').locator('.cell-toolbar').click();
    await t.keyboard.press('b');
    await t.locator('.notebook-page > .cells > .cell').nth(4).waitFor({ timeout: UI_TIMEOUT });
    const inserted = (await t.locator('.notebook-page > .cells > .cell').nth(2).getAttribute('data-cell-id'))!;
    await waitForOrder(a, ['c1', 'c2', 'scratch:mine = 40 + 2', 'scratch:my note', inserted, 'c3', 'c4']);
    await cell(t, 'c3').locator('button.move-up').click();
    await cell(t, 'c3').locator('button.move-up').click();
    await waitForOrder(a, ['c1', 'c3', 'c2', 'scratch:mine = 40 + 2', 'scratch:my note', inserted, 'c4']);
    await cell(t, 'c2').locator('button.move-down').click();
    await cell(t, 'c2').locator('button.move-down').click();
    await waitForOrder(a, ['c1', 'c3', inserted, 'c4', 'c2', 'scratch:mine = 40 + 2', 'scratch:my note']);
    // c2 goes back up, then is deleted: Ada's cells move to c2's nearest surviving predecessor.
    await cell(t, 'c2').locator('button.move-up').click();
    await waitForOrder(a, ['c1', 'c3', inserted, 'c2', 'scratch:mine = 40 + 2', 'scratch:my note', 'c4']);
    await cell(t, 'c2').locator('button.delete').click();
    const afterDelete = ['c1', 'c3', inserted, 'scratch:mine = 40 + 2', 'scratch:my note', 'c4'];
    await waitForOrder(a, afterDelete);
    await cell(t, inserted).locator('button.delete').click();
    const final = ['c1', 'c3', 'scratch:mine = 40 + 2', 'scratch:my note', 'c4'];
    await waitForOrder(a, final);
    assert.match((await a.locator('.scratch-cell').first().locator('.output-stream').textContent()) ?? '', /scratch 42/);

    // A reload.
    await a.reload();
    await a.waitForSelector('.notebook-page .cells');
    await waitForOrder(a, final);
    await a.locator('.scratch-cell').first().locator('.output-stream', { hasText: 'scratch 42' }).waitFor({ timeout: UI_TIMEOUT });

    // A restart of the server on the same data directory and port.
    const port = server.port;
    await server.server.close();
    server = await startTestServer({ clientDir, dataDir, port });
    await a.reload();
    await a.waitForSelector('.notebook-page .cells');
    await waitForOrder(a, final);
    await a.locator('.scratch-cell').first().locator('.output-stream', { hasText: 'scratch 42' }).waitFor({ timeout: UI_TIMEOUT });

    // Only in Ada's own private document and her own export.
    for (const room of [sharedRoom(nb.id), privateRoom(nb.id, (await apiCall<{ id: string }>(server.url, owner, 'GET', '/api/me')).id)]) {
      const lease = await server.server.rooms.acquire(room);
      try {
        assert.ok(!JSON.stringify(lease.room.doc.toJSON()).includes('mine = 40'), `Ada's scratch cell is in ${room}`);
      } finally {
        lease.release();
      }
    }
    for (const outputs of ['mine', 'shared', 'none']) {
      const exported = await apiCall<Notebook>(server.url, owner, 'GET', `/api/notebooks/${nb.id}/export?format=ipynb&outputs=${outputs}`);
      assert.ok(!JSON.stringify(exported).includes('mine = 40'), `Ada's scratch cell is in the teacher's ${outputs} export`);
    }
    const hers = await apiCall<Notebook>(server.url, student.token, 'GET', `/api/notebooks/${nb.id}/export?format=ipynb&outputs=mine`);
    assert.deepEqual(
      hers.cells.map((c) => (c.metadata['cohort'] ? `scratch:${[c.source].flat().join('').split('\n')[0]}` : c.id)),
      final,
    );
    assert.deepEqual(await pythonValidate([JSON.stringify(hers)]), [null]);
    for (const page of pages) assert.deepEqual(page.pageErrors, []);
  } finally {
    for (const page of pages) await page.context.close();
  }
});
