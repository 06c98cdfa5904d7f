// Daily notebook work in a real browser against a real kernel: a 100,000-line output stays in a
// box (the page stays short) with the truncation notice first; results carry Out[n]; an output of
// since-edited code is marked stale; Jupyter's command-mode keys (Alt-Enter, C/X/V, Z, D,D, I,I,
// 0,0); the selected cell survives a reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { cellEditor, cellText, openNotebookPage, screenshot, signIn } from '../helpers/browser.ts';
import { codeCell, KERNEL_TIMEOUT, notebookOf, useE2E } from './fixture.ts';

const e2e = useE2E();

const cellIds = (page: Page) => page.locator('.notebook-page > .cells > .cell').evaluateAll((cells) => cells.map((c) => (c as HTMLElement).dataset['cellId']!));
const cellById = (page: Page, id: string) => page.locator(`.notebook-page > .cells > .cell[data-cell-id="${id}"]`);

/** Puts the cell in command mode (selected, no editor focused), as a click on its margin does. */
async function commandMode(page: Page, id: string): Promise<void> {
  await cellById(page, id).locator('.gutter').click();
  await page.keyboard.press('Escape');
  await page.waitForFunction((cellId) => {
    const active = document.activeElement as HTMLElement | null;
    return active?.classList.contains('cell') && active.dataset['cellId'] === cellId;
  }, id);
}

test('100,000 printed lines: the page stays under two screens and the truncation notice comes first', async () => {
  const nb = await e2e.createNotebook(e2e.adminToken, 'Long', notebookOf([{ ...codeCell("for i in range(100_000):\n    print(f'line {i:06d} of a very long output')"), id: 'long' }]));
  const { context, page, pageErrors } = await signIn(e2e.browser, e2e.url, e2e.adminToken);
  try {
    await openNotebookPage(page, e2e.url, nb.id);
    await cellById(page, 'long').locator('button.run').click();
    const cell = cellById(page, 'long');
    await cell.locator('.execution[data-status="ok"]').waitFor({ timeout: KERNEL_TIMEOUT });
    await cell.locator('.truncation-marker').waitFor({ timeout: KERNEL_TIMEOUT });
    const layout = await page.evaluate(() => ({ page: document.documentElement.scrollHeight, screen: window.innerHeight }));
    assert.ok(layout.page < 2 * layout.screen, `the page is ${layout.page}px tall for a ${layout.screen}px screen`);
    // The notice is the first output, above the first printed line, and visible without scrolling the box.
    const order = await cell.locator('.outputs').evaluate((outputs) => {
      const first = outputs.firstElementChild as HTMLElement;
      const stream = outputs.querySelector('.output-stream') as HTMLElement;
      const box = outputs.closest('.output-scroll') as HTMLElement;
      return {
        firstIsNotice: first.classList.contains('truncation-marker'),
        noticeAbove: first.getBoundingClientRect().top < stream.getBoundingClientRect().top,
        noticeInBox: first.getBoundingClientRect().bottom <= box.getBoundingClientRect().bottom,
      };
    });
    assert.deepEqual(order, { firstIsNotice: true, noticeAbove: true, noticeInBox: true });
    assert.match((await cell.locator('.output-box-bar').textContent()) ?? '', /Long output/);
    await screenshot(page, 'notebook-long-output');

    // Collapse and show again.
    await cell.locator('button.output-collapse').click();
    await cell.locator('.output-scroll').waitFor({ state: 'hidden' });
    await cell.locator('button.output-expand').click();
    await cell.locator('.output-scroll').waitFor();
    assert.deepEqual(pageErrors, []);
  } finally {
    await context.close();
  }
});

test('results show Out[n]; an output of code edited since it ran is marked stale until rerun', async () => {
  const nb = await e2e.createNotebook(e2e.adminToken, 'Prompts', notebookOf([{ ...codeCell('6 * 7'), id: 'calc' }]));
  const { context, page } = await signIn(e2e.browser, e2e.url, e2e.adminToken);
  try {
    await openNotebookPage(page, e2e.url, nb.id);
    const cell = cellById(page, 'calc');
    await cell.locator('button.run').click();
    await cell.locator('.output-execute_result').waitFor({ timeout: KERNEL_TIMEOUT });
    const count = ((await cell.locator('.prompt').textContent()) ?? '').replace(/[[\]]/g, '');
    assert.match(count, /^\d+$/);
    assert.equal(await cell.locator('.output-execute_result .out-prompt').textContent(), `Out[${count}]:`);
    assert.equal(await cell.locator('.cell-outputs').getAttribute('data-stale'), 'false');

    await cellEditor(page, 0).click();
    await page.keyboard.press('End');
    await page.keyboard.type(' + 1');
    await cell.locator('.cell-outputs[data-stale="true"]').waitFor();
    await cell.locator('.stale-note').waitFor();
    // Typing the change away makes the output current again.
    for (let i = 0; i < 4; i++) await page.keyboard.press('Backspace');
    await cell.locator('.cell-outputs[data-stale="false"]').waitFor();
    await page.keyboard.type(' + 1');
    await cell.locator('.cell-outputs[data-stale="true"]').waitFor();
    await page.keyboard.press('Control+Enter');
    await cell.locator('.output-execute_result', { hasText: '43' }).waitFor({ timeout: KERNEL_TIMEOUT });
    await cell.locator('.cell-outputs[data-stale="false"]').waitFor();
    assert.equal(await cell.locator('.stale-note').isVisible(), false);
  } finally {
    await context.close();
  }
});

test('command-mode keys: Alt-Enter, C/V, X, Z, D D, I I, 0 0; the selection survives a reload', async () => {
  const nb = await e2e.createNotebook(
    e2e.adminToken,
    'Keys',
    notebookOf([
      { ...codeCell('a = 1'), id: 'k1' },
      { ...codeCell('b = 2'), id: 'k2' },
      { ...codeCell('c = 3'), id: 'k3' },
    ]),
  );
  const { context, page, pageErrors } = await signIn(e2e.browser, e2e.url, e2e.adminToken);
  try {
    await openNotebookPage(page, e2e.url, nb.id);

    // Alt-Enter in the editor: runs the cell and opens a new cell below, ready to type in.
    await cellEditor(page, 0).click();
    await page.keyboard.press('Alt+Enter');
    await page.waitForFunction(() => document.querySelectorAll('.notebook-page > .cells > .cell').length === 4);
    let ids = await cellIds(page);
    assert.deepEqual([ids[0], ids[2], ids[3]], ['k1', 'k2', 'k3']);
    await page.waitForFunction(() => document.activeElement?.closest('.cell') === document.querySelectorAll('.notebook-page > .cells > .cell')[1]);
    await cellById(page, 'k1').locator('.execution[data-status="ok"]').waitFor({ timeout: KERNEL_TIMEOUT });
    const inserted = ids[1]!;

    // C then V: a copy of k2 (new id, same source) below it.
    await commandMode(page, 'k2');
    await page.keyboard.press('c');
    await page.keyboard.press('v');
    await page.waitForFunction(() => document.querySelectorAll('.notebook-page > .cells > .cell').length === 5);
    ids = await cellIds(page);
    assert.equal(ids[2], 'k2');
    const copy = ids[3]!;
    assert.notEqual(copy, 'k2');
    assert.equal(await cellText(page, 3), 'b = 2');

    // X cuts; Z brings the cut cell back, same id, same place.
    await commandMode(page, 'k3');
    await page.keyboard.press('x');
    await page.waitForFunction(() => !document.querySelector('.cell[data-cell-id="k3"]'));
    await page.keyboard.press('z');
    await cellById(page, 'k3').waitFor();
    assert.deepEqual(await cellIds(page), ['k1', inserted, 'k2', copy, 'k3']);

    // D D deletes the copy; Z undoes it.
    await commandMode(page, copy);
    await page.keyboard.press('d');
    await page.keyboard.press('d');
    await page.waitForFunction((id) => !document.querySelector(`.cell[data-cell-id="${id}"]`), copy);
    await page.keyboard.press('z');
    await cellById(page, copy).waitFor();

    // I I interrupts a running cell.
    await cellEditor(page, 1).click();
    await page.keyboard.type('import time\ntime.sleep(120)');
    await page.keyboard.press('Control+Enter');
    await cellById(page, inserted).locator('.execution[data-status="running"]').waitFor({ timeout: KERNEL_TIMEOUT });
    await commandMode(page, inserted);
    await page.keyboard.press('i');
    await page.keyboard.press('i');
    await cellById(page, inserted).locator('.output-error', { hasText: 'KeyboardInterrupt' }).waitFor({ timeout: 20_000 });

    // 0 0 restarts the kernel: `a` (set by the first run) is gone.
    await page.locator('.notebook-header .kernel-status[data-status="idle"]').waitFor({ timeout: 20_000 });
    await commandMode(page, 'k2');
    await page.keyboard.press('0');
    await page.keyboard.press('0');
    await page.locator('#message.info', { hasText: 'Kernel restarted' }).waitFor({ timeout: 30_000 });
    await cellEditor(page, 4).click();
    await page.keyboard.press('Control+a');
    await page.keyboard.type('print(a)');
    await page.keyboard.press('Control+Enter');
    await cellById(page, 'k3').locator('.output-error', { hasText: 'NameError' }).waitFor({ timeout: KERNEL_TIMEOUT });

    // The selected cell is kept across a reload.
    await commandMode(page, 'k2');
    await page.reload();
    await page.waitForSelector('.notebook-page .cells .cell');
    await cellById(page, 'k2').and(page.locator('.cell.selected')).waitFor();
    assert.equal(await page.locator('.notebook-page > .cells > .cell.selected').count(), 1);
    assert.deepEqual(pageErrors, []);
  } finally {
    await context.close();
  }
});
