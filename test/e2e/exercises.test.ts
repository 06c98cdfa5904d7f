// Exercise cells in real browsers: the teacher marks a cell as an exercise; two students edit it
// differently and run it, each seeing only their own source and output, the teacher neither; the
// teacher changes the cell: a student who reset gets the new source, one who edited keeps hers and
// is told, sees the differences, and resets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { apiCall, openNotebookPage, screenshot, signIn, type SignedInPage } from '../helpers/browser.ts';
import { codeCell, KERNEL_TIMEOUT, markdownCell, notebookOf, UI_TIMEOUT, useE2E } from './fixture.ts';

const e2e = useE2E();

const TEACHER_SOURCE = 'n = 1\nprint("twice", n * 2)';

const cell = (page: Page, id: string) => page.locator(`.notebook-page > .cells > .cell[data-cell-id="${id}"]`);

/** The cell's source as its editor shows it (without remote cursor labels). */
function sourceOf(page: Page, id: string): Promise<string> {
  return cell(page, id).locator('.cm-content').evaluate((content) => {
    const copy = content.cloneNode(true) as HTMLElement;
    for (const caret of copy.querySelectorAll('.cm-ySelectionCaret, .cm-widgetBuffer')) caret.remove();
    return [...copy.querySelectorAll('.cm-line')].map((line) => line.textContent ?? '').join('\n');
  });
}

async function waitForSource(page: Page, id: string, expected: string): Promise<void> {
  const deadline = Date.now() + UI_TIMEOUT;
  let last = '';
  while (Date.now() < deadline) {
    last = await sourceOf(page, id).catch(() => '');
    if (last === expected) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`cell ${id} never showed ${JSON.stringify(expected)}; last seen ${JSON.stringify(last)}`);
}

/** Replaces the first line of a cell's source by typing, as a student would. */
async function retypeFirstLine(page: Page, id: string, line: string): Promise<void> {
  await cell(page, id).locator('.cm-content').click();
  await page.keyboard.press('ControlOrMeta+Home');
  await page.keyboard.press('Shift+End');
  await page.keyboard.type(line);
}

test('an exercise: own copies, own outputs, the teacher’s change, the notice, the diff and the reset', async () => {
  const [adaUser, boUser] = [await e2e.createUser('ada'), await e2e.createUser('bo')];
  const nb = await e2e.createNotebook(
    e2e.adminToken,
    'Exercise',
    notebookOf([{ ...markdownCell('Change `n` to your favourite number and run it.'), id: 'intro' }, { ...codeCell(TEACHER_SOURCE), id: 'ex' }]),
  );
  for (const user of [adaUser, boUser]) await e2e.setMember(e2e.adminToken, nb.id, user.id, 'runner');
  const pages: SignedInPage[] = [];
  try {
    const teacher = await signIn(e2e.browser, e2e.url, e2e.adminToken);
    pages.push(teacher);
    const t = teacher.page;
    await openNotebookPage(t, e2e.url, nb.id);
    // Students are read-only on the shared notebook; the cell is not an exercise yet.
    const adaPage = await signIn(e2e.browser, e2e.url, adaUser.token);
    const boPage = await signIn(e2e.browser, e2e.url, boUser.token);
    pages.push(adaPage, boPage);
    const [ada, bo] = [adaPage.page, boPage.page];
    for (const page of [ada, bo]) await openNotebookPage(page, e2e.url, nb.id);
    assert.equal(await cell(ada, 'ex').locator('.cm-content').getAttribute('contenteditable'), 'false');
    assert.equal(await ada.locator('.exercise-toggle').count(), 0, 'students do not mark exercises');

    // The teacher marks the cell as an exercise.
    await cell(t, 'ex').locator('button.exercise-toggle').click();
    await cell(t, 'ex').locator('button.exercise-toggle.on[aria-pressed="true"]').waitFor();
    for (const page of [ada, bo]) {
      await cell(page, 'ex').locator('.exercise-bar[data-state="untouched"]').waitFor({ timeout: UI_TIMEOUT });
      await cell(page, 'ex').locator('.cm-content[contenteditable="true"]').waitFor({ timeout: UI_TIMEOUT });
    }

    // Both edit it differently and run it.
    await retypeFirstLine(ada, 'ex', 'n = 21');
    await retypeFirstLine(bo, 'ex', 'n = 50');
    await waitForSource(ada, 'ex', 'n = 21\nprint("twice", n * 2)');
    await waitForSource(bo, 'ex', 'n = 50\nprint("twice", n * 2)');
    for (const page of [ada, bo]) {
      await cell(page, 'ex').locator('.exercise-bar[data-state="edited"][data-teacher-changed="false"]').waitFor({ timeout: UI_TIMEOUT });
      await page.keyboard.press('Shift+Enter');
    }
    await cell(ada, 'ex').locator('.output-stream', { hasText: 'twice 42' }).waitFor({ timeout: KERNEL_TIMEOUT });
    await cell(bo, 'ex').locator('.output-stream', { hasText: 'twice 100' }).waitFor({ timeout: KERNEL_TIMEOUT });
    // Outputs of my own copy are of the code I see: not stale.
    assert.equal(await cell(ada, 'ex').locator('.cell-outputs').getAttribute('data-stale'), 'false');
    await screenshot(ada, 'exercise-student-edited');

    // Each sees only their own source and output; the teacher sees neither, nor did the shared source change.
    assert.ok(!(await ada.content()).includes('n = 50') && !(await ada.content()).includes('twice 100'));
    assert.ok(!(await bo.content()).includes('n = 21') && !(await bo.content()).includes('twice 42'));
    const teacherHtml = await t.content();
    for (const theirs of ['n = 21', 'n = 50', 'twice 42', 'twice 100']) assert.ok(!teacherHtml.includes(theirs), `the teacher's page shows ${theirs}`);
    assert.equal(await sourceOf(t, 'ex'), TEACHER_SOURCE);
    // Their cursors left the teacher's source when their copies took over.
    await cell(t, 'ex').locator('.cm-ySelectionCaret').first().waitFor({ state: 'detached', timeout: UI_TIMEOUT });
    await cell(t, 'ex').locator('.exercise-bar[data-state="teacher"]').waitFor();

    // Bo goes back to the teacher's version; then the teacher changes the cell.
    await cell(bo, 'ex').locator('button.exercise-reset').click();
    await waitForSource(bo, 'ex', TEACHER_SOURCE);
    await cell(bo, 'ex').locator('.exercise-bar[data-state="untouched"]').waitFor({ timeout: UI_TIMEOUT });
    await cell(t, 'ex').locator('.cm-content').click();
    await t.keyboard.press('ControlOrMeta+End');
    await t.keyboard.type('\nprint("done")');
    const changed = `${TEACHER_SOURCE}\nprint("done")`;
    await waitForSource(bo, 'ex', changed);
    await waitForSource(ada, 'ex', 'n = 21\nprint("twice", n * 2)');
    const notice = cell(ada, 'ex').locator('.exercise-bar[data-teacher-changed="true"] .exercise-teacher-changed');
    await notice.waitFor({ timeout: UI_TIMEOUT });
    assert.match((await notice.textContent()) ?? '', /teacher’s version changed/);
    assert.equal(await cell(bo, 'ex').locator('.exercise-teacher-changed').count(), 0);

    // Bo runs the teacher's new version in his own kernel.
    await cell(bo, 'ex').locator('button.run').click();
    await cell(bo, 'ex').locator('.output-stream', { hasText: 'done' }).waitFor({ timeout: KERNEL_TIMEOUT });
    assert.match((await cell(bo, 'ex').locator('.output-stream').textContent()) ?? '', /twice 2\s+done/);

    // Ada looks at the differences, then resets.
    await cell(ada, 'ex').locator('button.exercise-diff-toggle').click();
    const diff = cell(ada, 'ex').locator('.exercise-diff');
    await diff.waitFor();
    assert.deepEqual(await diff.locator('.diff-del').allTextContents(), ['- n = 1\n', '- print("done")\n']);
    assert.deepEqual(await diff.locator('.diff-add').allTextContents(), ['+ n = 21\n']);
    await screenshot(ada, 'exercise-student-diff');
    await cell(ada, 'ex').locator('button.exercise-reset').click();
    await waitForSource(ada, 'ex', changed);
    await cell(ada, 'ex').locator('.exercise-bar[data-state="untouched"]').waitFor({ timeout: UI_TIMEOUT });

    // After a reload the reset holds, and my edits are still my own: Ada edits again and reloads.
    await retypeFirstLine(ada, 'ex', 'n = 7');
    await waitForSource(ada, 'ex', `n = 7\nprint("twice", n * 2)\nprint("done")`);
    await ada.reload();
    await ada.waitForSelector('.notebook-page .cells');
    await waitForSource(ada, 'ex', `n = 7\nprint("twice", n * 2)\nprint("done")`);
    await cell(ada, 'ex').locator('.exercise-bar[data-state="edited"]').waitFor({ timeout: UI_TIMEOUT });
    const mine = await apiCall<{ source: string; edited: boolean }>(e2e.url, adaUser.token, 'GET', `/api/notebooks/${nb.id}/cells/ex/mine`);
    assert.deepEqual(mine, { ...mine, source: `n = 7\nprint("twice", n * 2)\nprint("done")`, edited: true });
    for (const page of pages) assert.deepEqual(page.pageErrors, []);
  } finally {
    for (const page of pages) await page.context.close();
  }
});
