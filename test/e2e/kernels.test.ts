// Kernels you can manage, in a real browser against real kernels: at the per-user limit, running a
// cell in another notebook opens a dialog naming the oldest idle kernel; "Shut down … and run"
// frees it and the run succeeds — in a fresh kernel that imports pandas. The Running panel lists
// the kernels with memory and shuts one down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openNotebookPage, screenshot, signIn } from '../helpers/browser.ts';
import { codeCell, KERNEL_TIMEOUT, notebookOf, useE2E } from './fixture.ts';

const e2e = useE2E({ maxKernelsPerUser: 1 });

test('the kernel limit offers to shut down the oldest idle kernel, then the run succeeds', async () => {
  const kim = await e2e.createUser('kim');
  const first = await e2e.createNotebook(kim.token, 'Monday lesson', notebookOf([{ ...codeCell('x = 1'), id: 'a' }]));
  const second = await e2e.createNotebook(kim.token, 'Tuesday lesson', notebookOf([{ ...codeCell("import pandas\nprint('pandas', pandas.__version__)"), id: 'b' }]));
  const { context, page, pageErrors } = await signIn(e2e.browser, e2e.url, kim.token);
  try {
    await openNotebookPage(page, e2e.url, first.id);
    await page.locator('.cell[data-cell-id="a"] button.run').click();
    await page.locator('.cell[data-cell-id="a"] .execution[data-status="ok"]').waitFor({ timeout: KERNEL_TIMEOUT });

    // The second notebook needs a second kernel: over the limit of one.
    await openNotebookPage(page, e2e.url, second.id);
    await page.locator('.cell[data-cell-id="b"] button.run').click();
    const dialog = page.locator('dialog.limit-dialog');
    await dialog.waitFor({ timeout: KERNEL_TIMEOUT });
    assert.match((await dialog.locator('.limit-candidate').textContent()) ?? '', /oldest idle one is in “Monday lesson”/);
    await screenshot(page, 'kernel-limit-dialog');
    await dialog.locator('button.limit-shutdown-run').click();
    await dialog.waitFor({ state: 'detached' });

    // The run went through, in a fresh kernel that has the scientific stack.
    const output = page.locator('.cell[data-cell-id="b"] .output-stream');
    await output.waitFor({ timeout: KERNEL_TIMEOUT });
    assert.match((await output.textContent()) ?? '', /^pandas \d+\.\d+/);

    // The Running panel (from the top bar) shows the one kernel left, with its memory; shutting
    // it down empties the list.
    await page.locator('#whoami button.open-kernels').click();
    const panel = page.locator('dialog.running-panel');
    const row = panel.locator('tr[data-kernel-id]');
    await row.waitFor();
    assert.equal(await row.count(), 1);
    assert.equal(await row.getAttribute('data-notebook-id'), second.id);
    assert.match((await row.locator('.kernel-memory').textContent()) ?? '', /\d+(\.\d)? MiB/);
    assert.match((await panel.locator('.kernels-summary').textContent()) ?? '', /You have 1 of at most 1 kernel\./);
    await screenshot(page, 'kernel-running-panel');
    await row.locator('button.kernel-shutdown').click();
    await panel.locator('.kernels-summary', { hasText: 'No kernels are running' }).waitFor();
    await panel.locator('button.modal-close').click();
    await page.locator('.notebook-header .kernel-status[data-status="dead"], .notebook-header .kernel-status[data-status="none"]').waitFor();
    assert.deepEqual(pageErrors, []);
  } finally {
    await context.close();
  }
});
