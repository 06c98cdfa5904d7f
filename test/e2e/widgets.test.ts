// Widgets end to end, through the server's widget bridge (comms <-> Yjs widget maps).
// The seed scenario (README.md, "Widgets: the seed example"): two users run the same interact(); each has their own value.
// And a shared-scope slider moved by the owner moves in a student's page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { openNotebookPage, screenshot, signIn } from '../helpers/browser.ts';
import { codeCell, KERNEL_TIMEOUT, notebookOf, ownerAndMember, useE2E } from './fixture.ts';

const e2e = useE2E();

async function runFirstCell(page: Page): Promise<void> {
  await page.locator('.cell').nth(0).locator('button.run').click();
}

function interactOutput(page: Page) {
  return page.locator('.cell').nth(0).locator('.widget-output');
}

test('seed scenario: the same interact() in two browsers keeps each user’s own value', async () => {
  const { owner: a, member: b, close } = await ownerAndMember(e2e, { notebookName: 'Seed', notebook: notebookOf([codeCell('from ipywidgets import interact\ninteract(lambda x: x, x="Hello World")')]), memberName: 'bob', role: 'runner' });
  try {
    await runFirstCell(a.page);
    await runFirstCell(b.page);
    for (const page of [a.page, b.page]) {
      await page.locator('.cell .widget-text input').waitFor({ timeout: KERNEL_TIMEOUT });
      await interactOutput(page).filter({ hasText: "'Hello World'" }).waitFor({ timeout: KERNEL_TIMEOUT });
    }

    const input = a.page.locator('.cell .widget-text input');
    await input.fill('');
    await input.type('A');
    await interactOutput(a.page).filter({ hasText: "'A'" }).waitFor({ timeout: KERNEL_TIMEOUT });

    // B's kernel never saw A's value.
    await b.page.waitForTimeout(1000);
    assert.equal(await b.page.locator('.cell .widget-text input').inputValue(), 'Hello World');
    assert.match((await interactOutput(b.page).textContent()) ?? '', /'Hello World'/);
    assert.doesNotMatch((await interactOutput(b.page).textContent()) ?? '', /'A'/);
    await screenshot(a.page, 'seed-user-a');
    await screenshot(b.page, 'seed-user-b');
  } finally {
    await close();
  }
});

test('a shared-scope slider moved by the owner moves in a student’s page', async () => {
  const { owner, member: pupil, close } = await ownerAndMember(e2e, { notebookName: 'Shared slider', notebook: notebookOf([codeCell('import ipywidgets as w\ns = w.IntSlider(value=3, min=0, max=10)\ns', [], { cohort: { scope: 'shared' } })]), memberName: 'student', role: 'runner' });
  try {
    assert.equal(await pupil.page.locator('.cell .scope').textContent(), 'shared');
    assert.ok(await pupil.page.locator('.cell button.run').isDisabled(), 'a runner cannot run shared cells');
    await runFirstCell(owner.page);

    const readout = (page: Page) => page.locator('.cell .widget-readout');
    for (const page of [owner.page, pupil.page]) {
      await readout(page).filter({ hasText: /^3$/ }).waitFor({ timeout: KERNEL_TIMEOUT });
    }
    const handle = owner.page.locator('.cell .noUi-handle');
    await handle.focus();
    await owner.page.keyboard.press('ArrowRight');
    await owner.page.keyboard.press('ArrowRight');
    await readout(owner.page).filter({ hasText: /^5$/ }).waitFor({ timeout: 10_000 });
    await readout(pupil.page).filter({ hasText: /^5$/ }).waitFor({ timeout: 10_000 });

    // The student may not move the shared slider: it snaps back and the connection stays up.
    await pupil.page.locator('.cell .noUi-handle').focus();
    await pupil.page.keyboard.press('ArrowRight');
    await readout(pupil.page).filter({ hasText: /^5$/ }).waitFor({ timeout: 10_000 });
    await owner.page.waitForTimeout(500);
    assert.equal((await readout(owner.page).textContent())?.trim(), '5');
    assert.equal(await pupil.page.locator('.connection').getAttribute('data-state'), 'online');
    await screenshot(pupil.page, 'shared-slider-student');
  } finally {
    await close();
  }
});

test('a Button click reaches the kernel as a custom message; its callback prints into an Output widget', async () => {
  const nb = await e2e.createNotebook(
    e2e.adminToken,
    'Button',
    notebookOf([
      codeCell(
        "import ipywidgets as w\nb = w.Button(description='Press me')\nout = w.Output()\nb.on_click(lambda _: out.append_stdout('pressed\\n'))\ndisplay(b, out)",
      ),
    ]),
  );
  const { context, page, pageErrors } = await signIn(e2e.browser, e2e.url, e2e.adminToken);
  try {
    await openNotebookPage(page, e2e.url, nb.id);
    await runFirstCell(page);
    const button = page.locator('.cell button.widget-button', { hasText: 'Press me' });
    await button.waitFor({ timeout: KERNEL_TIMEOUT });
    await button.click();
    await page.locator('.cell .widget-output', { hasText: 'pressed' }).waitFor({ timeout: 20_000 });
    await button.click();
    await page.waitForFunction(() => (document.querySelector('.cell .widget-output')?.textContent?.match(/pressed/g) ?? []).length === 2, undefined, { timeout: 20_000 });
    assert.deepEqual(pageErrors, []);
  } finally {
    await context.close();
  }
});
