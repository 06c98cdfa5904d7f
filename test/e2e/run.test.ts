// Running cells in the browser against a real ipykernel: Shift-Enter runs and moves on, errors show
// their traceback in colour, input() is answered inline, counts and kernel status come from the
// private document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellEditor, openNotebookPage, screenshot, signIn, type SignedInPage } from '../helpers/browser.ts';
import { KERNEL_TIMEOUT, useE2E } from './fixture.ts';

const e2e = useE2E();

/**
 * A new notebook of the admin's, open in a fresh signed-in page, with `source` typed into its
 * first cell and run in place (Ctrl-Enter). The caller closes the page's context.
 */
async function runTyped(notebookName: string, source: string): Promise<SignedInPage> {
  const nb = await e2e.createNotebook(e2e.adminToken, notebookName);
  const signedIn = await signIn(e2e.browser, e2e.url, e2e.adminToken);
  try {
    await openNotebookPage(signedIn.page, e2e.url, nb.id);
    await cellEditor(signedIn.page, 0).click();
    await signedIn.page.keyboard.type(source);
    await signedIn.page.keyboard.press('Control+Enter');
    return signedIn;
  } catch (error) {
    await signedIn.context.close();
    throw error;
  }
}

test('shift-Enter runs a cell and focuses the next; an error shows its traceback', async () => {
  const nb = await e2e.createNotebook(e2e.adminToken, 'Running');
  const { context, page, pageErrors } = await signIn(e2e.browser, e2e.url, e2e.adminToken);
  try {
    await openNotebookPage(page, e2e.url, nb.id);
    await cellEditor(page, 0).click();
    await page.keyboard.type('6 * 7');
    await page.keyboard.press('Shift+Enter');

    // A new cell was added below and has the keyboard focus, in edit mode.
    await page.waitForFunction(() => document.querySelectorAll('.cell').length === 2);
    await page.waitForFunction(() => document.activeElement?.closest('.cell') === document.querySelectorAll('.cell')[1]);
    assert.ok(await page.locator('.cell').nth(1).evaluate((el) => el.classList.contains('editing')));

    const first = page.locator('.cell').nth(0);
    await first.locator('.output-execute_result').waitFor({ timeout: KERNEL_TIMEOUT });
    assert.equal((await first.locator('.output-execute_result pre').textContent())?.trim(), '42');
    assert.equal(await first.locator('.output-execute_result .out-prompt').textContent(), 'Out[1]:');
    await page.waitForFunction(() => document.querySelector('.cell .prompt')?.textContent === '[1]', undefined, { timeout: KERNEL_TIMEOUT });
    assert.equal(await first.locator('.execution').getAttribute('data-status'), 'ok');
    await page.waitForSelector('.kernel-status[data-status="idle"]', { timeout: KERNEL_TIMEOUT });

    // The focused second cell: an error.
    await page.keyboard.type('def boom():\n1 / 0\n');
    await page.keyboard.press('Backspace'); // undo the auto-indent of the last line
    await page.keyboard.type('boom()');
    await page.keyboard.press('Control+Enter'); // run in place
    const second = page.locator('.cell').nth(1);
    const traceback = second.locator('.output-error .traceback');
    await traceback.waitFor({ timeout: KERNEL_TIMEOUT });
    const text = (await traceback.textContent()) ?? '';
    assert.match(text, /ZeroDivisionError/);
    assert.match(text, /boom\(\)/);
    assert.ok((await second.locator('.output-error .traceback span[class*="ansi-"]').count()) > 0, 'traceback is coloured');
    assert.ok(!text.includes('\u001b['), 'no raw escape codes');
    assert.equal(await second.locator('.execution').getAttribute('data-status'), 'error');
    // Ctrl-Enter stays on the cell.
    assert.equal(await page.locator('.cell').count(), 2);
    await screenshot(page, 'run-error-traceback');
    assert.deepEqual(pageErrors, []);
  } finally {
    await context.close();
  }
});

test('input() is answered inline and a password prompt is masked', async () => {
  const { context, page } = await runTyped('Input', "import getpass\nname = input('Your name? ')\nsecret = getpass.getpass('Secret: ')\nprint('hello', name, len(secret))");
  try {
    const prompt = page.locator('.cell').nth(0).locator('.stdin');
    await prompt.locator('input[type="text"]').waitFor({ timeout: KERNEL_TIMEOUT });
    assert.match((await prompt.locator('.stdin-prompt').textContent()) ?? '', /Your name\?/);
    await prompt.locator('input').fill('Ada');
    await prompt.locator('input').press('Enter');
    await prompt.locator('input[type="password"]').waitFor({ timeout: KERNEL_TIMEOUT });
    await prompt.locator('input').fill('hunter2');
    await prompt.locator('input').press('Enter');
    await page.locator('.cell').nth(0).locator('.output-stream', { hasText: 'hello Ada 7' }).waitFor({ timeout: KERNEL_TIMEOUT });
    await prompt.waitFor({ state: 'hidden' });
  } finally {
    await context.close();
  }
});

test('streamed output appears while the cell is still running', async () => {
  const { context, page } = await runTyped('Streaming', "import time\nfor i in range(3):\nprint('tick', i, flush=True)\ntime.sleep(1)");
  try {
    const cell = page.locator('.cell').nth(0);
    await cell.locator('.output-stream', { hasText: 'tick 0' }).waitFor({ timeout: KERNEL_TIMEOUT });
    // Still running when the first line is already shown.
    assert.equal(await cell.locator('.execution').getAttribute('data-status'), 'running');
    assert.match((await cell.locator('.exec-state').textContent()) ?? '', /running \d/);
    await page.waitForFunction(() => document.querySelector('.cell .execution')?.getAttribute('data-status') === 'ok', undefined, { timeout: KERNEL_TIMEOUT });
    assert.match((await cell.locator('.outputs').textContent()) ?? '', /tick 0\s*tick 1\s*tick 2/);
  } finally {
    await context.close();
  }
});

test('interrupt stops a long-running cell', async () => {
  const { context, page } = await runTyped('Interrupt', 'import time\ntime.sleep(120)');
  try {
    await page.waitForSelector('.cell .execution[data-status="running"]', { timeout: KERNEL_TIMEOUT });
    await page.locator('.toolbar button.interrupt').click();
    await page.locator('.cell .output-error', { hasText: 'KeyboardInterrupt' }).waitFor({ timeout: 20_000 });
    await page.waitForSelector('.kernel-status[data-status="idle"]', { timeout: 20_000 });
  } finally {
    await context.close();
  }
});
