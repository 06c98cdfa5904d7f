// Scopes in the page: the owner switches a cell to shared and a student sees it; a student
// publishes an output and the owner sees it marked with the author; a kernel restart turns widget
// views into a placeholder instead of dead controls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openNotebookPage, signIn } from '../helpers/browser.ts';
import { codeCell, KERNEL_TIMEOUT, notebookOf, ownerAndMember, useE2E } from './fixture.ts';

const e2e = useE2E();

test('the owner switches a cell to shared scope; a student sees it and cannot run it', async () => {
  const { owner, member: pupil, close } = await ownerAndMember(e2e, { notebookName: 'Scopes', notebook: notebookOf([codeCell("print('hello')")]), memberName: 'sam', role: 'runner' });
  try {
    assert.equal(await pupil.page.locator('.cell .scope').textContent(), 'mine');
    assert.ok(await pupil.page.locator('.cell .scope').isDisabled(), 'only owners switch scopes');
    assert.ok(await pupil.page.locator('.cell button.run').isEnabled());

    await owner.page.locator('.cell .scope').click();
    await pupil.page.locator('.cell .scope', { hasText: 'shared' }).waitFor({ timeout: 10_000 });
    assert.ok(await pupil.page.locator('.cell button.run').isDisabled());
    assert.ok(await pupil.page.locator('.cell button.publish').isHidden());

    // The owner runs it in the shared kernel: the student sees the output, marked as shared.
    await owner.page.locator('.cell button.run').click();
    const shared = pupil.page.locator('.cell .cell-outputs[data-source="shared"] .output-stream', { hasText: 'hello' });
    await shared.waitFor({ timeout: KERNEL_TIMEOUT });
    assert.match((await pupil.page.locator('.cell .output-label').textContent()) ?? '', /Shared output/);
  } finally {
    await close();
  }
});

test('a student publishes an output; the owner sees it with the author', async () => {
  const { owner, member: pupil, close } = await ownerAndMember(e2e, { notebookName: 'Hand-in', notebook: notebookOf([codeCell("print('answer', 6 * 7)")]), memberName: 'pat', role: 'runner' });
  try {
    await pupil.page.locator('.cell button.run').click();
    await pupil.page.locator('.cell .output-stream', { hasText: 'answer 42' }).waitFor({ timeout: KERNEL_TIMEOUT });
    // The owner did not run it: nothing of the student's shows up by itself.
    assert.equal(await owner.page.locator('.cell .output-stream').count(), 0);

    await pupil.page.locator('.cell button.publish').click();
    const entry = owner.page.locator('.cell .published-entry', { hasText: 'Published by pat' });
    await entry.waitFor({ timeout: 10_000 });
    await entry.locator('summary').click();
    assert.match((await entry.textContent()) ?? '', /answer 42/);
  } finally {
    await close();
  }
});

test('after a kernel restart a widget view gives way to a message, without page errors', async () => {
  const nb = await e2e.createNotebook(e2e.adminToken, 'Restart', notebookOf([codeCell('import ipywidgets as w\nw.IntSlider(value=7)')]));
  const { context, page, pageErrors } = await signIn(e2e.browser, e2e.url, e2e.adminToken);
  try {
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await openNotebookPage(page, e2e.url, nb.id);
    await page.locator('.cell button.run').click();
    await page.locator('.cell .widget-readout', { hasText: '7' }).waitFor({ timeout: KERNEL_TIMEOUT });
    await page.locator('.toolbar button.restart').click();
    // The server replaces the view output with a message, or the page shows its own placeholder.
    await page.locator('.cell .outputs', { hasText: /restarted/ }).waitFor({ timeout: KERNEL_TIMEOUT });
    assert.equal(await page.locator('.cell .widget-readout').count(), 0);
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(pageErrors, []);
  } finally {
    await context.close();
  }
});
