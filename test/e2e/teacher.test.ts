// The teacher's screen in real browsers: the join link names --public-url; the spotlight floats
// inside the viewport of a student scrolled far from it; duplicate student names are told apart
// in the roster; hidden cells are revealed up to a chosen one, then all at once; and ending the
// session offers to reveal what is still hidden.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { apiCall, joinAsGuest, openNotebookPage, screenshot, signIn, type SignedInPage } from '../helpers/browser.ts';
import { codeCell, markdownCell, notebookOf, startLiveSession, UI_TIMEOUT, useE2E } from './fixture.ts';

const PUBLIC_URL = 'http://classroom.example:8888';
const e2e = useE2E({ publicUrl: PUBLIC_URL });

/** Twelve tall cells, so the page scrolls far, then four to hide. */
function lesson() {
  const tall = (n: number) => Array.from({ length: 12 }, (_, line) => `# part ${n}, line ${line}`).join('\n');
  const cells: Array<(ReturnType<typeof codeCell> | ReturnType<typeof markdownCell>) & { id: string }> = [{ ...codeCell(`print('answer', 6 * 7)\n${tall(0)}`), id: 'c0' }];
  for (let n = 1; n < 12; n++) cells.push({ ...codeCell(`x${n} = ${n}\n${tall(n)}`), id: `c${n}` });
  for (let n = 1; n <= 4; n++) cells.push({ ...markdownCell(`## Step ${n}`), id: `m${n}` });
  return notebookOf(cells);
}

const mainCells = (page: Page) => page.locator('.notebook-page > .cells > .cell');
const mainIds = (page: Page) => mainCells(page).evaluateAll((cells) => cells.map((cell) => (cell as HTMLElement).dataset['cellId']));

test('join link, spotlight in view, names told apart, reveal up to here / all, reveal when ending', async () => {
  const nb = await e2e.createNotebook(e2e.adminToken, 'Lesson', lesson());
  const teacher = await signIn(e2e.browser, e2e.url, e2e.adminToken);
  const students: SignedInPage[] = [];
  try {
    const t = teacher.page;
    await openNotebookPage(t, e2e.url, nb.id);
    const code = await startLiveSession(t);
    // The link for the projector names the public address, not the address the server listens on.
    assert.equal(await t.locator('.classroom-panel .join-url input').inputValue(), `${PUBLIC_URL}/#/join/${code}`);

    await mainCells(t).and(t.locator('[data-cell-id="m1"]')).locator('.cell-toolbar').click();
    await t.locator('.classroom-panel button.hide-from').click();
    await t.locator('.classroom-panel .hidden-count[data-count="4"]').waitFor({ timeout: UI_TIMEOUT });
    await mainCells(t).and(t.locator('[data-cell-id="c0"]')).locator('.cell-toolbar').click();

    // Ada in a browser; two students who both typed "Bo" join through the API.
    students.push(await joinAsGuest(e2e.browser, e2e.url, code, 'Ada'));
    const ada = students[0]!.page;
    // A guest's page offers no kernels panel (the server confines guests to this notebook).
    await ada.locator('.kernel-status').waitFor({ timeout: UI_TIMEOUT });
    assert.equal(await ada.locator('.open-kernels, button.kernel-status').count(), 0);
    const bos = [];
    for (let i = 0; i < 2; i++) bos.push(await apiCall<{ token: string; user: { id: string } }>(e2e.url, '', 'POST', '/api/join', { code, name: 'Bo' }));
    const rosterNames = t.locator('.classroom-panel .roster-student .student-name');
    await t.locator('.classroom-panel .roster-student').nth(2).waitFor({ timeout: UI_TIMEOUT });
    const names = (await rosterNames.allTextContents()).sort();
    assert.equal(names[0], 'Ada');
    assert.match(names[1]!, /^Bo · [a-z0-9]{4}$/);
    assert.match(names[2]!, /^Bo · [a-z0-9]{4}$/);
    assert.notEqual(names[1], names[2], 'two students called Bo look the same in the roster');
    const avatars = t.locator('.classroom-panel .roster-student .avatar');
    assert.equal(await avatars.count(), 3);

    // Ada steps out of following and scrolls to the very bottom, far from the first cell.
    await ada.locator('.follow-toggle').click();
    await ada.locator('.follow-toggle:not(.on)').waitFor();
    await ada.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    const scrolled = await ada.evaluate(() => window.scrollY);
    assert.ok(scrolled > 1000, `the page should scroll far (scrollY ${scrolled})`);

    // One Bo runs the first cell and publishes it; the teacher shows it to the class.
    const [bo] = bos;
    const ran = await apiCall<{ runs: Array<{ status: string }> }>(e2e.url, bo!.token, 'POST', `/api/notebooks/${nb.id}/execute?wait=true`, { cellIds: ['c0'] });
    assert.equal(ran.runs[0]!.status, 'ok');
    await apiCall(e2e.url, bo!.token, 'POST', `/api/notebooks/${nb.id}/cells/c0/publish`);
    await t.locator('.classroom-panel .published-card[data-cell-id="c0"] button.spotlight-on').click({ timeout: UI_TIMEOUT });

    // Ada sees it where she is: inside her viewport, on top of what is there.
    const spotlight = ada.locator('.spotlight[data-cell-id="c0"]');
    await spotlight.waitFor({ timeout: UI_TIMEOUT });
    const placement = await spotlight.evaluate((element) => {
      const rect = element.getBoundingClientRect();
      const hit = document.elementFromPoint(rect.left + rect.width / 2, rect.top + rect.height / 2);
      return { top: rect.top, bottom: rect.bottom, height: window.innerHeight, onTop: element.contains(hit) };
    });
    assert.ok(placement.top >= 0 && placement.bottom <= placement.height, `spotlight at ${placement.top}..${placement.bottom} of ${placement.height}`);
    assert.ok(placement.onTop, 'the spotlight is covered');
    assert.match((await spotlight.textContent()) ?? '', /answer 42/);
    await screenshot(ada, 'teacher-spotlight-scrolled-student');
    // She may tuck it away.
    await spotlight.locator('button.spotlight-dismiss').click();
    await spotlight.waitFor({ state: 'hidden' });

    // Reveal up to here: the second hidden cell's button reveals the first two, in order.
    await t.locator('.hidden-cells .cell[data-cell-id="m2"] button.reveal-through').click();
    await t.locator('.classroom-panel .hidden-count[data-count="2"]').waitFor({ timeout: UI_TIMEOUT });
    await ada.locator('.notebook-page > .cells > .cell[data-cell-id="m2"]').waitFor({ timeout: UI_TIMEOUT });
    assert.deepEqual((await mainIds(ada)).slice(-3), ['c11', 'm1', 'm2']);
    assert.equal(await ada.locator('.cell[data-cell-id="m3"]').count(), 0);

    // Reveal all.
    await t.locator('.classroom-panel button.reveal-all').click();
    await t.locator('.classroom-panel .hidden-count[data-count="0"]').waitFor({ timeout: UI_TIMEOUT });
    await ada.locator('.notebook-page > .cells > .cell[data-cell-id="m4"]').waitFor({ timeout: UI_TIMEOUT });
    assert.deepEqual((await mainIds(ada)).slice(-4), ['m1', 'm2', 'm3', 'm4']);

    // Hide two again; ending the session offers to reveal them (on by default), and does.
    await mainCells(t).and(t.locator('[data-cell-id="m3"]')).locator('.cell-toolbar').click();
    await t.locator('.classroom-panel button.hide-from').click();
    await t.locator('.classroom-panel .hidden-count[data-count="2"]').waitFor({ timeout: UI_TIMEOUT });
    await t.locator('.classroom-panel button.end-session').click();
    const offer = t.locator('.classroom-panel .end-reveal-choice');
    await offer.waitFor();
    assert.match((await offer.textContent()) ?? '', /Also reveal the 2 hidden cells/);
    assert.equal(await offer.locator('input').isChecked(), true);
    await screenshot(t, 'teacher-end-offers-reveal');
    await t.locator('.classroom-panel button.end-keep').click();
    await t.locator('.classroom-panel button.start-session').waitFor({ timeout: UI_TIMEOUT });
    await t.locator('.notebook-page > .cells > .cell[data-cell-id="m4"]').waitFor({ timeout: UI_TIMEOUT });
    await t.locator('.hidden-cells').waitFor({ state: 'hidden' });
    const details = await apiCall<{ hidden: number }>(e2e.url, e2e.adminToken, 'GET', `/api/notebooks/${nb.id}/session/hidden`);
    assert.equal(details.hidden, 0);
    assert.deepEqual([...teacher.pageErrors, ...students.flatMap((s) => s.pageErrors)], []);
  } finally {
    await teacher.context.close();
    for (const student of students) await student.context.close();
  }
});
