// The notebook list: create, import (file picker), bad imports explained, rename, export,
// members dialog, delete.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { signIn } from '../helpers/browser.ts';
import { codeCell, markdownCell, notebookOf, useE2E } from './fixture.ts';

const e2e = useE2E();

test('create, import, rename, export and delete from the list', async () => {
  const { context, page, pageErrors } = await signIn(e2e.browser, e2e.url, e2e.adminToken);
  try {
    // Create through the form: it opens the new notebook.
    await page.locator('.create input[name="name"]').fill('From the form');
    await page.locator('.create button[type="submit"]').click();
    await page.waitForURL(/#\/nb\//);
    await page.waitForSelector('.notebook-page .cell');
    assert.equal(await page.locator('#crumb .nb-name').textContent(), 'From the form');
    await page.locator('#home').click();
    await page.locator('tr', { hasText: 'From the form' }).waitFor();

    // Import through the file picker.
    const imported = notebookOf([markdownCell('# Imported heading'), codeCell('x = 41 + 1')]);
    await page.locator('.list-actions input[type="file"]').setInputFiles({
      name: 'lesson-one.ipynb',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(imported)),
    });
    await page.locator('tr', { hasText: 'lesson-one' }).waitFor();
    const importedId = await page.locator('tr', { hasText: 'lesson-one' }).getAttribute('data-id');
    // By id: while renaming, the name is in an input, which text matching does not see.
    const row = page.locator(`tr[data-id="${importedId}"]`);

    // Import by dropping a file on the page.
    const dropped = JSON.stringify(notebookOf([codeCell("print('dropped')")]));
    const transfer = await page.evaluateHandle((content) => {
      const data = new DataTransfer();
      data.items.add(new File([content], 'dropped-in.ipynb', { type: 'application/json' }));
      return data;
    }, dropped);
    await page.locator('.list-page').dispatchEvent('dragover', { dataTransfer: transfer });
    await page.locator('.list-page').dispatchEvent('drop', { dataTransfer: transfer });
    await page.locator('tr', { hasText: 'dropped-in' }).waitFor();

    // A file that is not a notebook gets a clear message.
    await page.locator('.list-actions input[type="file"]').setInputFiles({
      name: 'broken.ipynb',
      mimeType: 'application/json',
      buffer: Buffer.from('{ not json'),
    });
    await page.locator('#message.error', { hasText: 'broken.ipynb' }).waitFor();

    // Rename inline: one request (Enter, then the input's removal by the refresh, must not save twice).
    const renames: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'PATCH' && request.url().endsWith(`/api/notebooks/${importedId}`)) renames.push(request.url());
    });
    await row.locator('button', { hasText: 'Rename' }).click();
    await row.locator('input').fill('Lesson 1');
    await row.locator('input').press('Enter');
    const renamed = page.locator('tr', { hasText: 'Lesson 1' });
    await renamed.waitFor();

    // Export as .py: a download whose content is the notebook's code.
    await renamed.locator('.export-menu summary').click();
    await renamed.locator('.export-menu button[data-format="py"]').waitFor();
    const [download] = await Promise.all([
      // Generous: on a loaded machine the browser can take a while to hand a download over.
      page.waitForEvent('download', { timeout: 60_000 }),
      renamed.locator('.export-menu button[data-format="py"]').click(),
    ]);
    const path = await download.path();
    assert.match(readFileSync(path, 'utf8'), /x = 41 \+ 1/);
    assert.equal(renames.length, 1, 'the rename was sent more than once');

    // Open it: the imported cells are there.
    await renamed.locator('a.nb-link').click();
    await page.locator('.rendered-markdown h1', { hasText: 'Imported heading' }).waitFor();
    await page.locator('#home').click();

    // Delete (confirming the browser dialog).
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('tr', { hasText: 'Lesson 1' }).locator('button', { hasText: 'Delete' }).click();
    await page.locator('tr', { hasText: 'Lesson 1' }).waitFor({ state: 'detached' });
    assert.deepEqual(pageErrors, []);
  } finally {
    await context.close();
  }
});

test('owners share from the list in the dialog; errors are shown there', async () => {
  const grace = await e2e.createUser('grace');
  await e2e.createNotebook(e2e.adminToken, 'Class notes');
  const { context, page } = await signIn(e2e.browser, e2e.url, e2e.adminToken);
  const student = await signIn(e2e.browser, e2e.url, grace.token);
  try {
    const row = page.locator('tr', { hasText: 'Class notes' });
    await row.locator('button.share').click();
    const dialog = page.locator('dialog.members-dialog');
    await dialog.waitFor();
    await dialog.locator('input[name="member"]').fill('grace');
    await dialog.locator('.add-member select').selectOption('runner');
    await dialog.locator('.add-member button').click();
    await dialog.locator('tr[data-user="grace"]').waitFor();

    // The student now sees the notebook, with her role.
    await student.page.reload();
    const studentRow = student.page.locator('tr', { hasText: 'Class notes' });
    await studentRow.waitFor();
    assert.equal(await studentRow.locator('.role').textContent(), 'runner');
    assert.equal(await studentRow.locator('button.share').count(), 0);

    // Unknown user: the server's message shows in the dialog.
    await dialog.locator('input[name="member"]').fill('nobody-by-this-name');
    await dialog.locator('.add-member button').click();
    await dialog.locator('.dialog-error').filter({ hasText: /\S/ }).waitFor();

    // Promote, then remove: the promotion is stored (its request answered) before the removal is asked for.
    await Promise.all([
      page.waitForResponse((response) => response.request().method() === 'PUT' && response.url().endsWith(`/members/${grace.id}`) && response.ok()),
      dialog.locator('tr[data-user="grace"] select').selectOption('editor'),
    ]);
    await dialog.locator('tr[data-user="grace"] button', { hasText: 'Remove' }).click();
    await dialog.locator('tr[data-user="grace"]').waitFor({ state: 'detached' });
    await student.page.reload();
    await student.page.locator('.empty', { hasText: 'No notebooks yet' }).waitFor();
    await dialog.locator('button', { hasText: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
  } finally {
    await context.close();
    await student.context.close();
  }
});

test('signing in with the token form and signing out', async () => {
  const context = await e2e.browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(e2e.url);
    await page.locator('form.login input[name="token"]').fill('wrong-token');
    await page.locator('form.login button').click();
    await page.locator('#message.error', { hasText: 'Sign-in failed' }).waitFor();
    await page.locator('form.login input[name="token"]').fill(e2e.adminToken);
    await page.locator('form.login button').click();
    await page.locator('#whoami .user-name', { hasText: 'admin' }).waitFor();
    await page.locator('#whoami button', { hasText: 'Log out' }).click();
    await page.locator('form.login').waitFor();
  } finally {
    await context.close();
  }
});
