// The Files panel in real browsers, as a live class starts: the teacher drops the lesson's CSV on
// the notebook's files (a progress bar, then the file listed) and copies its Python path; two
// guests join, run a cell that reads it with pandas and writes out.csv; each guest's panel shows
// the notebook file read-only (no drop zone, no Delete) and their own out.csv under My files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { joinAsGuest, openNotebookPage, signIn, type SignedInPage } from '../helpers/browser.ts';
import { codeCell, KERNEL_TIMEOUT, notebookOf, startLiveSession, UI_TIMEOUT, useE2E } from './fixture.ts';

const e2e = useE2E();

const SCORES = 'name,score\nada,90\nbo,70\n';

const scope = (page: Page, name: 'notebook' | 'mine') => page.locator(`dialog.files-dialog .file-scope[data-scope="${name}"]`);

test('files panel: the teacher drops a CSV, two guests read it in their kernels and see their own out.csv', async () => {
  const nb = await e2e.createNotebook(
    e2e.adminToken,
    'Lesson with data',
    notebookOf([{ ...codeCell("import pandas as pd\nprint('total', pd.read_csv('scores.csv')['score'].sum())\npd.DataFrame({'n': [1]}).to_csv('out.csv')"), id: 'read' }]),
  );
  const pages: SignedInPage[] = [];
  try {
    const teacher = await signIn(e2e.browser, e2e.url, e2e.adminToken);
    pages.push(teacher);
    const t = teacher.page;
    await openNotebookPage(t, e2e.url, nb.id);
    await t.locator('button.open-files').click();
    const notebookFiles = scope(t, 'notebook');
    await notebookFiles.locator('.file-usage', { hasText: '0 files' }).waitFor({ timeout: UI_TIMEOUT });

    // Drag and drop: a drop event carrying the file, as the browser makes one.
    const transfer = await t.evaluateHandle((text) => {
      const data = new DataTransfer();
      data.items.add(new File([text], 'scores.csv', { type: 'text/csv' }));
      return data;
    }, SCORES);
    await notebookFiles.locator('.file-drop').dispatchEvent('drop', { dataTransfer: transfer });
    await notebookFiles.locator('.file-upload[data-name="scores.csv"][data-state="done"]').waitFor({ timeout: UI_TIMEOUT });
    assert.equal(await notebookFiles.locator('.file-upload progress').evaluate((bar) => (bar as HTMLProgressElement).value), 1);
    const row = notebookFiles.locator('tr[data-path="scores.csv"]');
    await row.waitFor({ timeout: UI_TIMEOUT });
    assert.ok(((await notebookFiles.locator('.file-usage').textContent()) ?? '').startsWith(`1 file, ${SCORES.length} B`));
    await row.locator('button.copy-path').click();
    await t.locator('#message', { hasText: '/notebook/scores.csv' }).waitFor({ timeout: UI_TIMEOUT });
    await t.locator('dialog.files-dialog button.modal-close').click();

    const code = await startLiveSession(t);
    const guests = [await joinAsGuest(e2e.browser, e2e.url, code, 'Ada'), await joinAsGuest(e2e.browser, e2e.url, code, 'Bo')];
    pages.push(...guests);
    for (const { page } of guests) {
      const cell = page.locator('.notebook-page > .cells > .cell[data-cell-id="read"]');
      await cell.locator('button.run').click();
      await cell.locator('.cell-outputs', { hasText: 'total 160' }).waitFor({ timeout: KERNEL_TIMEOUT });
    }
    for (const { page } of guests) {
      await page.locator('button.open-files').click();
      const shared = scope(page, 'notebook');
      await shared.locator('tr[data-path="scores.csv"]').waitFor({ timeout: UI_TIMEOUT });
      assert.equal(await shared.locator('.file-drop').count(), 0, 'a guest cannot upload notebook files');
      assert.equal(await shared.locator('button.delete-file').count(), 0, 'a guest cannot delete notebook files');
      const mine = scope(page, 'mine');
      await mine.locator('tr[data-path="out.csv"]').waitFor({ timeout: UI_TIMEOUT });
      // The link to the notebook's scores.csv is not listed among the guest's own files.
      assert.deepEqual(await mine.locator('tr.file-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-path'))), ['out.csv']);
      assert.equal(await mine.locator('.file-drop').count(), 1);
    }
    for (const { pageErrors } of pages) assert.deepEqual(pageErrors, []);
  } finally {
    for (const { context } of pages) await context.close();
  }
});
