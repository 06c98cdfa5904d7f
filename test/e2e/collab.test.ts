// Two people in two browser contexts co-edit one notebook: text, remote cursor labels, presence,
// structural edits with Jupyter's command-mode keys, and read-only editors for runners.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellEditor, cellText, openNotebookPage, screenshot, signIn, waitForCellText } from '../helpers/browser.ts';
import { ownerAndMember, useE2E } from './fixture.ts';

const e2e = useE2E();

test('typing in one browser shows up in the other, with the remote cursor labelled', async () => {
  const { owner: alice, member: bobPage, close } = await ownerAndMember(e2e, { notebookName: 'Co-editing', memberName: 'bob', role: 'editor' });
  try {

    await cellEditor(alice.page, 0).click();
    await alice.page.keyboard.type("greeting = 'hello from admin'");
    await waitForCellText(bobPage.page, 0, (text) => text === "greeting = 'hello from admin'");
    const label = bobPage.page.locator('.cell .cm-ySelectionInfo');
    await label.first().waitFor({ timeout: 10_000 });
    assert.equal((await label.first().textContent())?.trim(), 'admin');

    // And back: Bob's typing reaches Alice.
    await cellEditor(bobPage.page, 0).click();
    await bobPage.page.keyboard.press('End');
    await bobPage.page.keyboard.type('  # bob was here');
    await waitForCellText(alice.page, 0, (text) => text === "greeting = 'hello from admin'  # bob was here");

    // Presence shows both people.
    await alice.page.waitForFunction(() => document.querySelectorAll('.presence .person').length === 2, undefined, { timeout: 10_000 });
    await screenshot(bobPage.page, 'collab-remote-cursor');
    assert.deepEqual([...alice.pageErrors, ...bobPage.pageErrors], []);
  } finally {
    await close();
  }
});

test('command-mode keys insert, retype and delete cells for everyone', async () => {
  const { owner: alice, member: other, close } = await ownerAndMember(e2e, { notebookName: 'Keys', memberName: 'carol', role: 'editor' });
  try {
    const count = (page: typeof alice.page, n: number) =>
      page.waitForFunction((expected) => document.querySelectorAll('.cell').length === expected, n, { timeout: 10_000 });

    await cellEditor(alice.page, 0).click();
    await alice.page.keyboard.press('Escape'); // command mode
    await alice.page.keyboard.press('b');
    await count(other.page, 2);
    await alice.page.keyboard.press('a');
    await count(other.page, 3);
    // The inserted cell is selected; make it markdown, then type into it.
    await alice.page.keyboard.press('m');
    await other.page.waitForFunction(() => document.querySelectorAll('.cell[data-cell-type="markdown"]').length === 1, undefined, { timeout: 10_000 });
    await alice.page.keyboard.press('Enter');
    await alice.page.keyboard.type('# Title from keys');
    await alice.page.keyboard.press('Shift+Enter');
    // Rendered markdown (not the editor) shows in the other browser once it is not being edited there.
    await other.page.waitForFunction(() => document.querySelector('.cell-markdown .rendered-markdown h1')?.textContent === 'Title from keys', undefined, { timeout: 10_000 });
    // y turns it back into code; dd deletes it.
    await alice.page.locator('.cell-markdown .rendered-markdown').click();
    await alice.page.keyboard.press('y');
    await other.page.waitForFunction(() => document.querySelectorAll('.cell[data-cell-type="markdown"]').length === 0, undefined, { timeout: 10_000 });
    await alice.page.keyboard.press('d');
    await alice.page.keyboard.press('d');
    await count(other.page, 2);
    await count(alice.page, 2);

    // Move buttons reorder for everyone.
    await cellEditor(alice.page, 1).click();
    await alice.page.keyboard.type('second');
    await waitForCellText(other.page, 1, (text) => text === 'second');
    await alice.page.locator('.cell').nth(1).locator('button.move-up').click();
    await waitForCellText(other.page, 0, (text) => text === 'second');
    await waitForCellText(alice.page, 0, (text) => text === 'second');
    assert.deepEqual([...alice.pageErrors, ...other.pageErrors], []);
  } finally {
    await close();
  }
});

test('my editor keeps focus while someone else inserts cells above it', async () => {
  const { owner: alice, member: other, close } = await ownerAndMember(e2e, { notebookName: 'Focus', memberName: 'hal', role: 'editor' });
  try {
    await cellEditor(alice.page, 0).click();
    await alice.page.keyboard.type('first half');
    // Hal inserts two cells above Alice's.
    await other.page.locator('.cell').nth(0).locator('.cell-toolbar').click();
    await other.page.keyboard.press('a');
    await other.page.keyboard.press('Escape');
    await other.page.keyboard.press('a');
    await alice.page.waitForFunction(() => document.querySelectorAll('.cell').length === 3, undefined, { timeout: 10_000 });
    await alice.page.keyboard.type(', second half');
    await waitForCellText(other.page, 2, (text) => text === 'first half, second half');
    assert.equal(await cellText(alice.page, 0), '');
    assert.ok(await alice.page.locator('.cell').nth(2).evaluate((cell) => cell.contains(document.activeElement)));
  } finally {
    await close();
  }
});

test('a runner gets a read-only editor and cannot change the notebook', async () => {
  const dave = await e2e.createUser('dave');
  const nb = await e2e.createNotebook(e2e.adminToken, 'Read only');
  await e2e.setMember(e2e.adminToken, nb.id, dave.id, 'runner');
  const alice = await signIn(e2e.browser, e2e.url, e2e.adminToken);
  const runner = await signIn(e2e.browser, e2e.url, dave.token);
  try {
    await openNotebookPage(alice.page, e2e.url, nb.id);
    await cellEditor(alice.page, 0).click();
    await alice.page.keyboard.type('x = 1');
    await openNotebookPage(runner.page, e2e.url, nb.id);
    await waitForCellText(runner.page, 0, (text) => text === 'x = 1');
    assert.equal(await cellEditor(runner.page, 0).getAttribute('contenteditable'), 'false');
    await cellEditor(runner.page, 0).click();
    await runner.page.keyboard.type('HACK');
    await runner.page.keyboard.press('Escape');
    await runner.page.keyboard.press('b'); // insert: must do nothing for a runner
    // A marker from Alice, typed after the runner's attempts: once the runner's page shows it, the
    // runner's page holds exactly Alice's text (a keystroke of the runner's applied there would be in
    // it) and Alice's page, which received the marker's round trip, no cell the runner inserted.
    await cellEditor(alice.page, 0).click();
    await alice.page.keyboard.press('End');
    await alice.page.keyboard.type(' # seen');
    await waitForCellText(runner.page, 0, (text) => text.endsWith('# seen'));
    assert.equal(await cellText(alice.page, 0), 'x = 1 # seen');
    assert.equal(await cellText(runner.page, 0), 'x = 1 # seen');
    assert.equal(await alice.page.locator('.cell').count(), 1);
    assert.equal(await runner.page.locator('.cell').count(), 1);
    assert.equal(await runner.page.locator('.toolbar .add-code').count(), 0);
    assert.equal(await runner.page.locator('.connection').getAttribute('data-state'), 'online');
  } finally {
    await alice.context.close();
    await runner.context.close();
  }
});

test('a viewer reads along: no run, no edit, no scope switch', async () => {
  const ivy = await e2e.createUser('ivy');
  const nb = await e2e.createNotebook(e2e.adminToken, 'Viewer');
  await e2e.setMember(e2e.adminToken, nb.id, ivy.id, 'viewer');
  const viewer = await signIn(e2e.browser, e2e.url, ivy.token);
  try {
    await openNotebookPage(viewer.page, e2e.url, nb.id);
    await viewer.page.waitForSelector('.connection[data-state="online"]');
    assert.equal(await cellEditor(viewer.page, 0).getAttribute('contenteditable'), 'false');
    assert.equal(await viewer.page.locator('.toolbar button').count(), 0);
    assert.ok(await viewer.page.locator('.cell button.run').isDisabled());
    assert.ok(await viewer.page.locator('.cell button.scope').isDisabled());
    assert.ok(await viewer.page.locator('.cell button.publish').isHidden());
    assert.equal(await viewer.page.locator('.read-only-note').textContent(), 'Read-only');
  } finally {
    await viewer.context.close();
  }
});

test('access revoked while connected: the page says so and stops editing', async () => {
  const erin = await e2e.createUser('erin');
  const nb = await e2e.createNotebook(e2e.adminToken, 'Revoked');
  await e2e.setMember(e2e.adminToken, nb.id, erin.id, 'editor');
  const page = await signIn(e2e.browser, e2e.url, erin.token);
  try {
    await openNotebookPage(page.page, e2e.url, nb.id);
    await page.page.waitForSelector('.connection[data-state="online"]');
    const response = await fetch(`${e2e.url}/api/notebooks/${nb.id}/members/${erin.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${e2e.adminToken}` },
    });
    assert.ok(response.ok, `removing the member failed: ${response.status}`);
    await page.page.waitForSelector('.connection[data-state="refused"]', { timeout: 10_000 });
    const message = await page.page.locator('#message').textContent();
    assert.match(message ?? '', /revoked|not allowed|does not exist/);
    assert.equal(await cellEditor(page.page, 0).getAttribute('contenteditable'), 'false');
  } finally {
    await page.context.close();
  }
});

test('a notebook one is not a member of shows the server message, not a blank page', async () => {
  const frank = await e2e.createUser('frank');
  const nb = await e2e.createNotebook(e2e.adminToken, 'Private');
  const page = await signIn(e2e.browser, e2e.url, frank.token);
  try {
    await page.page.goto(`${e2e.url}/#/nb/${nb.id}`);
    const card = page.page.locator('.refused');
    await card.waitFor({ timeout: 10_000 });
    assert.match((await card.textContent()) ?? '', /Cannot open this notebook/);
  } finally {
    await page.context.close();
  }
});
