// Hand-ins in a live class, in real browsers: two guests join, edit an exercise their own way and
// run it; the roster counts edits, runs and errors; Ada hands hers in — the teacher's panel shows
// her source and output, Bo's page never receives it; with the session option on, Bo's hand-in
// reaches the class; "Show to class" puts Ada's on every screen; the teacher clears them all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { joinAsGuest, openNotebookPage, screenshot, signIn, type SignedInPage } from '../helpers/browser.ts';
import { codeCell, KERNEL_TIMEOUT, notebookOf, startLiveSession, UI_TIMEOUT, useE2E } from './fixture.ts';

const e2e = useE2E();

const cell = (page: Page, id: string) => page.locator(`.notebook-page > .cells > .cell[data-cell-id="${id}"]`);

async function editAndRun(page: Page, firstLine: string, expectOutput: string): Promise<void> {
  await cell(page, 'ex').locator('.exercise-bar[data-state="untouched"]').waitFor({ timeout: UI_TIMEOUT });
  await cell(page, 'ex').locator('.cm-content').click();
  await page.keyboard.press('ControlOrMeta+Home');
  await page.keyboard.press('Shift+End');
  await page.keyboard.type(firstLine);
  await cell(page, 'ex').locator('.exercise-bar[data-state="edited"]').waitFor({ timeout: UI_TIMEOUT });
  await cell(page, 'ex').locator('button.run').click();
  await cell(page, 'ex').locator('.cell-outputs', { hasText: expectOutput }).waitFor({ timeout: KERNEL_TIMEOUT });
}

test('hand-ins: to the teacher only, to the class with the option, on screen, counted, cleared', async () => {
  const nb = await e2e.createNotebook(
    e2e.adminToken,
    'Hand-ins',
    notebookOf([{ ...codeCell('n = 1\nprint("answer", n * 2)', [], { cohort: { exercise: true } }), id: 'ex' }]),
  );
  const pages: SignedInPage[] = [];
  try {
    const teacher = await signIn(e2e.browser, e2e.url, e2e.adminToken);
    pages.push(teacher);
    const t = teacher.page;
    await openNotebookPage(t, e2e.url, nb.id);
    const code = await startLiveSession(t);
    const adaPage = await joinAsGuest(e2e.browser, e2e.url, code, 'Ada');
    const boPage = await joinAsGuest(e2e.browser, e2e.url, code, 'Bo');
    pages.push(adaPage, boPage);
    const [ada, bo] = [adaPage.page, boPage.page];

    await editAndRun(ada, 'n = 21', 'answer 42');
    await editAndRun(bo, 'n = undefined_name', 'NameError');
    // The roster: two edited, two ran, one error — and none of their code in the teacher's page.
    const row = t.locator('.roster-exercises tr[data-cell-id="ex"]');
    await row.locator('td.edited', { hasText: '2' }).waitFor({ timeout: UI_TIMEOUT });
    await row.locator('td.ran', { hasText: '2' }).waitFor({ timeout: UI_TIMEOUT });
    await row.locator('td.errors.some', { hasText: '1' }).waitFor({ timeout: UI_TIMEOUT });
    assert.ok(!(await t.content()).includes('n = 21'));

    // Ada hands hers in: the teacher's board shows her source and output.
    assert.equal(await cell(ada, 'ex').locator('button.publish').textContent(), 'Hand in');
    await cell(ada, 'ex').locator('button.publish').click();
    await ada.locator('#message', { hasText: 'Handed in: only the teacher sees it' }).waitFor({ timeout: UI_TIMEOUT });
    const card = t.locator('.handin-board .handin-card', { hasText: 'Ada' });
    await card.waitFor({ timeout: UI_TIMEOUT });
    assert.equal(await card.locator('.handin-source').textContent(), 'n = 21\nprint("answer", n * 2)');
    assert.match((await card.locator('.published-outputs').textContent()) ?? '', /answer 42/);
    await screenshot(t, 'handins-teacher-board');

    // The class option on: Bo's hand-in reaches the class (Ada sees his source under the cell).
    await t.locator('.handin-board input.handins-visible').check();
    await t.locator('#message', { hasText: 'Hand-ins now go to the whole class' }).waitFor({ timeout: UI_TIMEOUT });
    await cell(bo, 'ex').locator('button.publish').click();
    await bo.locator('#message', { hasText: 'Handed in: the class can see it' }).waitFor({ timeout: UI_TIMEOUT });
    const bosEntry = cell(ada, 'ex').locator('.published-entry', { hasText: 'Published by Bo' });
    await bosEntry.waitFor({ timeout: UI_TIMEOUT });
    assert.equal(await bosEntry.locator('.handin-source').textContent(), 'n = undefined_name\nprint("answer", n * 2)');
    // Bo's page has his own hand-in by now, and never Ada's, which went to the teacher only.
    await cell(bo, 'ex').locator('.published-entry', { hasText: 'Published by you' }).waitFor({ timeout: UI_TIMEOUT });
    assert.ok(!(await bo.content()).includes('n = 21'), 'Ada’s teacher-only hand-in reached Bo');

    // Show to class: Ada's hand-in on every screen, with its source.
    await card.locator('button.spotlight-on').click();
    const spotlight = bo.locator('.spotlight[data-cell-id="ex"]');
    await spotlight.waitFor({ timeout: UI_TIMEOUT });
    assert.equal(await spotlight.locator('.handin-source').textContent(), 'n = 21\nprint("answer", n * 2)');
    assert.match((await spotlight.textContent()) ?? '', /answer 42/);
    await screenshot(bo, 'handins-student-spotlight');

    // Clear: every hand-in and the spotlight are gone.
    await t.locator('.handin-board button.clear-handins').click();
    await spotlight.waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
    await card.waitFor({ state: 'detached', timeout: UI_TIMEOUT });
    await bosEntry.waitFor({ state: 'detached', timeout: UI_TIMEOUT });
    for (const page of pages) assert.deepEqual(page.pageErrors, []);
  } finally {
    for (const page of pages) await page.context.close();
  }
});
