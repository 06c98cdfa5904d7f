// A live class in real browsers: a teacher starts a session, two students join through the join
// page with the code, follow the teacher, get cells revealed one at a time (never receiving them
// before), hand in an output that the teacher puts on screen, and see the end of the session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { hiddenRoom } from '../../shared/rooms.ts';
import { sharedDoc } from '../../shared/layout.ts';
import { apiCall, joinAsGuest, newContext, openNotebookPage, screenshot, signIn, type SignedInPage } from '../helpers/browser.ts';
import { connectDoc } from '../helpers/clients.ts';
import { eventually } from '../helpers/eventually.ts';
import { codeCell, KERNEL_TIMEOUT, markdownCell, notebookOf, startE2E, startLiveSession, UI_TIMEOUT, useE2E } from './fixture.ts';

const e2e = useE2E();

/** Ten cells, each tall enough that the page scrolls: c0..c7 shown, c8 and c9 to be hidden. */
function lessonNotebook() {
  const filler = (n: number) => Array.from({ length: 10 }, (_, line) => `# step ${n}, line ${line}`).join('\n');
  const cells = [];
  cells.push({ ...codeCell(`print('answer', 6 * 7)\n${filler(0)}`), id: 'c0' });
  for (let n = 1; n < 8; n++) cells.push({ ...codeCell(`x${n} = ${n}\n${filler(n)}`), id: `c${n}` });
  cells.push({ ...markdownCell('## Secret step one'), id: 'c8' });
  cells.push({ ...markdownCell('## Secret step two'), id: 'c9' });
  return notebookOf(cells);
}

const mainCell = (page: Page, id: string) => page.locator(`.notebook-page > .cells > .cell[data-cell-id="${id}"]`);

/** Whether the cell's top is on screen, below the sticky headers. */
function onScreen(page: Page, id: string): Promise<boolean> {
  return mainCell(page, id).evaluate((cell) => {
    const header = document.querySelector('.notebook-header')?.getBoundingClientRect().bottom ?? 0;
    const rect = cell.getBoundingClientRect();
    return rect.top >= header - 1 && rect.top < window.innerHeight;
  });
}

async function waitOnScreen(page: Page, id: string, expected = true): Promise<void> {
  const deadline = Date.now() + UI_TIMEOUT;
  while ((await onScreen(page, id)) !== expected) {
    if (Date.now() > deadline) throw new Error(`cell ${id} never ${expected ? 'came into' : 'left'} view`);
    await page.waitForTimeout(100);
  }
}

test('a live class: join by code, follow the teacher, reveal, publish and spotlight, end', async () => {
  const nb = await e2e.createNotebook(e2e.adminToken, 'Lesson', lessonNotebook());
  const teacher = await signIn(e2e.browser, e2e.url, e2e.adminToken);
  const students: SignedInPage[] = [];
  try {
    const t = teacher.page;
    await openNotebookPage(t, e2e.url, nb.id);

    // Start the session: the code shows large in the panel.
    const code = await startLiveSession(t);
    assert.match(code, /^[A-Z0-9]{4,}$/);
    assert.match(await t.locator('.classroom-panel .join-url input').inputValue(), new RegExp(`#/join/${code}$`));

    // Hide the last two cells before anyone joins.
    await mainCell(t, 'c8').locator('.cell-toolbar').click();
    await t.locator('.classroom-panel button.hide-from').click();
    await t.locator('.classroom-panel .hidden-count[data-count="2"]').waitFor({ timeout: UI_TIMEOUT });
    await t.locator('.hidden-cells .cell').nth(1).waitFor({ timeout: UI_TIMEOUT });
    // Hiding writes the hidden document first, then deletes from the shared one: the second change
    // can reach the page a moment after the first.
    await t.locator('.notebook-page > .cells > .cell').nth(8).waitFor({ state: 'detached', timeout: UI_TIMEOUT });
    assert.equal(await t.locator('.notebook-page > .cells > .cell').count(), 8);
    assert.match((await t.locator('.hidden-mark').textContent()) ?? '', /Hidden from students — 2 cells/);
    // The teacher is at the top of the notebook.
    await mainCell(t, 'c0').locator('.cell-toolbar').click();

    // A wrong code gets a clear message, not a status code.
    const stray = await newContext(e2e.browser);
    const strayPage = await stray.newPage();
    await strayPage.goto(`${e2e.url}/#/join/ZZZZZZZ`);
    await strayPage.locator('form.join-form input[name="name"]').fill('Nobody');
    await strayPage.locator('form.join-form button[type="submit"]').click();
    await strayPage.locator('.join-error', { hasText: 'No live session has that code' }).waitFor({ timeout: UI_TIMEOUT });
    await stray.close();

    // Two students join through the join page, as guests.
    students.push(await joinAsGuest(e2e.browser, e2e.url, code, 'Ada'));
    students.push(await joinAsGuest(e2e.browser, e2e.url, code, 'Bo'));
    const [ada, bo] = students.map((s) => s.page) as [Page, Page];
    for (const page of [ada, bo]) {
      await page.locator('.follow-bar .follow-toggle.on').waitFor({ timeout: UI_TIMEOUT });
      assert.equal(await page.locator('.notebook-page > .cells > .cell').count(), 8);
      // Hidden cells never reached the student's page.
      assert.ok(!(await page.content()).includes('Secret step'), 'a hidden cell is in a student page');
      assert.equal(await page.locator('.cell[data-cell-id="c8"]').count(), 0);
      assert.equal(await page.locator('.hidden-cells').count(), 0);
    }
    await t.locator('.classroom-panel .roster[data-connected="2"]').waitFor({ timeout: UI_TIMEOUT });
    assert.deepEqual((await t.locator('.roster-student .student-name').allTextContents()).sort(), ['Ada', 'Bo']);
    await screenshot(t, 'classroom-teacher-started');

    // Following: the teacher moves to a far cell; the students' pages scroll there and mark it.
    assert.equal(await onScreen(ada, 'c7'), false, 'c7 should start off screen');
    await mainCell(t, 'c7').locator('.cell-toolbar').click();
    for (const page of [ada, bo]) {
      await mainCell(page, 'c7').and(page.locator('.presenter-cell')).waitFor({ timeout: UI_TIMEOUT });
      await waitOnScreen(page, 'c7');
      assert.match((await page.locator('.follow-bar .presenter-where').textContent()) ?? '', /cell 8/);
    }
    await screenshot(ada, 'classroom-student-following');

    // Bo steps out: the teacher moves back up; Bo's view stays, a chip offers the jump.
    await bo.locator('.follow-toggle').click();
    await bo.locator('.follow-toggle:not(.on)').waitFor();
    const boScroll = await bo.evaluate(() => window.scrollY);
    await mainCell(t, 'c2').locator('.cell-toolbar').click();
    await mainCell(bo, 'c2').and(bo.locator('.presenter-cell')).waitFor({ timeout: UI_TIMEOUT });
    await bo.locator('.presenter-where', { hasText: 'Teacher is at cell 3' }).waitFor({ timeout: UI_TIMEOUT });
    await waitOnScreen(ada, 'c2');
    assert.equal(await bo.evaluate(() => window.scrollY), boScroll, 'a student who stepped out was scrolled');
    assert.equal(await onScreen(bo, 'c2'), false);
    await bo.locator('.presenter-jump').click();
    await waitOnScreen(bo, 'c2');
    await bo.locator('.follow-toggle').click();
    await bo.locator('.follow-toggle.on').waitFor();

    // The teacher edits a hidden cell (through the hidden room); students still receive nothing.
    const hiddenCell = t.locator('.hidden-cells .cell[data-cell-id="c8"]');
    await hiddenCell.locator('.rendered-markdown').dblclick();
    await t.keyboard.press('Control+End');
    await t.keyboard.type(', edited');
    await t.keyboard.press('Escape');
    await hiddenCell.locator('.rendered-markdown h2', { hasText: 'Secret step one, edited' }).waitFor({ timeout: UI_TIMEOUT });
    // The server has handled the edit: a reader of the hidden room (as the teacher) receives it.
    const reader = connectDoc(e2e.syncUrl, hiddenRoom(nb.id), e2e.adminToken);
    try {
      await eventually(() => JSON.stringify(sharedDoc(reader.doc).cells.toJSON()).includes('Secret step one, edited'), {
        timeoutMs: UI_TIMEOUT,
        message: 'the hidden edit did not reach the server',
      });
    } finally {
      reader.destroy();
    }
    // A marker after it in the students' room: the teacher edits a shown cell. The server stores
    // and sends a room's updates in order, so once Ada has the marker, anything the hidden edit
    // made the server send her has arrived. (Not the teacher's move: presence is sent at once,
    // ahead of updates still being stored.)
    await mainCell(t, 'c3').locator('.cm-content').click();
    await t.keyboard.press('ControlOrMeta+End');
    await t.keyboard.type('  # after the hidden edit');
    await mainCell(ada, 'c3').locator('.cm-content', { hasText: 'after the hidden edit' }).waitFor({ timeout: UI_TIMEOUT });
    assert.ok(!(await ada.content()).includes('Secret step'), 'an edit of a hidden cell reached a student');

    // Reveal: the next hidden cell appears on the students' pages, with the teacher's edit.
    await t.locator('.classroom-panel button.reveal-next').click();
    for (const page of [ada, bo]) {
      await page.locator('.notebook-page > .cells > .cell[data-cell-id="c8"] .rendered-markdown h2', { hasText: 'Secret step one, edited' }).waitFor({ timeout: UI_TIMEOUT });
      assert.ok(!(await page.content()).includes('Secret step two'), 'the still-hidden cell reached a student');
    }
    await t.locator('.classroom-panel .hidden-count[data-count="1"]').waitFor({ timeout: UI_TIMEOUT });
    await screenshot(bo, 'classroom-student-revealed');

    // Ada runs the first cell in her own kernel and publishes it; the teacher sees it in the panel.
    await mainCell(ada, 'c0').locator('button.run').click();
    await mainCell(ada, 'c0').locator('.output-stream', { hasText: 'answer 42' }).waitFor({ timeout: KERNEL_TIMEOUT });
    await mainCell(ada, 'c0').locator('button.publish').click();
    const card = t.locator('.classroom-panel .published-group[data-cell-id="c0"] .published-card', { hasText: 'Ada' });
    await card.waitFor({ timeout: UI_TIMEOUT });
    assert.match((await card.textContent()) ?? '', /answer 42/);
    // The roster counts the run, without showing it.
    await t.locator('.roster-cells tr[data-cell-id="c0"] td.ran', { hasText: '1' }).waitFor({ timeout: UI_TIMEOUT });

    // Show it to the class: Bo sees Ada's output on screen.
    await card.locator('button.spotlight-on').click();
    const spotlight = bo.locator('.spotlight[data-cell-id="c0"]');
    await spotlight.waitFor({ timeout: UI_TIMEOUT });
    assert.match((await spotlight.textContent()) ?? '', /Ada’s output of cell 1[\s\S]*answer 42/);
    await screenshot(t, 'classroom-teacher-published');
    await screenshot(bo, 'classroom-student-spotlight');

    // End the session, keeping the students' work: both students see the end screen.
    await t.locator('.classroom-panel button.end-session').click();
    await t.locator('.classroom-panel button.end-keep').click();
    for (const page of [ada, bo]) {
      await page.locator('.session-ended', { hasText: 'The live session has ended' }).waitFor({ timeout: UI_TIMEOUT });
    }
    await t.locator('.classroom-panel button.start-session').waitFor({ timeout: UI_TIMEOUT });
    await screenshot(ada, 'classroom-student-ended');
    assert.deepEqual([...teacher.pageErrors, ...students.flatMap((s) => s.pageErrors)], []);
  } finally {
    await teacher.context.close();
    for (const student of students) await student.context.close();
  }
});

test('join page: a signed-in member joins from the list with their account; repeated bad codes are told to wait', async () => {
  // Its own server, with a low limit, so the attempts of other tests do not count.
  const strict = await startE2E({ joinAttemptsPerMinute: 2 });
  const member = await strict.createUser('mia');
  const nb = await strict.createNotebook(strict.adminToken, 'Join rules', notebookOf([codeCell('1 + 1')]));
  const started = await apiCall<{ code: string }>(strict.url, strict.adminToken, 'POST', `/api/notebooks/${nb.id}/session`);
  const signedIn = await signIn(strict.browser, strict.url, member.token);
  const guest = await newContext(strict.browser);
  try {
    // From the notebook list: type the code, the join page knows who you are and asks no name.
    await signedIn.page.locator('form.join-entry input').fill(started.code.toLowerCase());
    await signedIn.page.locator('form.join-entry button').click();
    await signedIn.page.locator('form.join-form', { hasText: 'You will join as mia' }).waitFor({ timeout: UI_TIMEOUT });
    assert.equal(await signedIn.page.locator('form.join-form input[name="name"]').count(), 0);
    await signedIn.page.locator('form.join-form button[type="submit"]').click();
    await signedIn.page.locator('.notebook-page > .cells > .cell').waitFor({ timeout: UI_TIMEOUT });
    assert.equal(await signedIn.page.locator('#whoami .user-name').textContent(), 'mia');
    assert.equal(await signedIn.page.locator('#crumb .role').textContent(), 'runner');

    // Without an account: the sign-in page offers the join form too.
    const page = await guest.newPage();
    await page.goto(strict.url);
    await page.locator('form.join-entry input').fill('WRONG99');
    await page.locator('form.join-entry button').click();
    await page.locator('form.join-form input[name="name"]').fill('Guessing');
    const submit = page.locator('form.join-form button[type="submit"]');
    const error = page.locator('.join-error');
    await submit.click();
    await error.filter({ hasText: 'No live session has that code' }).waitFor({ timeout: UI_TIMEOUT });
    await submit.click();
    await page.waitForFunction(() => !(document.querySelector('form.join-form button[type="submit"]') as HTMLButtonElement).disabled);
    await submit.click();
    await error.filter({ hasText: 'Too many attempts' }).waitFor({ timeout: UI_TIMEOUT });
    await screenshot(page, 'classroom-join-too-many');
  } finally {
    await signedIn.context.close();
    await guest.close();
    await strict.close();
  }
});
