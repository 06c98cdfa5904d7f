// The page as people meet it, in a real browser: the Export menu opens inside the viewport at
// 1280 px with a one-row toolbar; at 390 px nothing scrolls sideways; dark mode follows the system
// and the toggle; an admin creates an account in the UI and its link signs that person in (and,
// once the account is disabled, shows a page saying the link is not valid); the
// notebook's Share button adds people from a picker; lists name owners; avatars tell apart two
// people whose names start alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { newContext, openNotebookPage, screenshot, signIn } from '../helpers/browser.ts';
import { codeCell, markdownCell, notebookOf, UI_TIMEOUT, useE2E } from './fixture.ts';

const e2e = useE2E();

function wideNotebook() {
  const wideTable = `<table><tr>${Array.from({ length: 24 }, (_, i) => `<th>column_${i}</th>`).join('')}</tr><tr>${Array.from({ length: 24 }, (_, i) => `<td>${i * 1000}</td>`).join('')}</tr></table>`;
  return notebookOf([
    { ...markdownCell(`# A notebook with wide things\n\n| ${Array.from({ length: 16 }, (_, i) => `heading ${i}`).join(' | ')} |\n|${'---|'.repeat(16)}`), id: 'md' },
    { ...codeCell(`x = '${'y'.repeat(300)}'`, [{ output_type: 'stream', name: 'stdout', text: `${'z'.repeat(400)}\n` }]), id: 'long-line' },
    { ...codeCell('df', [{ output_type: 'execute_result', execution_count: 1, metadata: {}, data: { 'text/html': wideTable, 'text/plain': 'df' } }]), id: 'table' },
    ...Array.from({ length: 6 }, (_, n) => ({ ...codeCell(Array.from({ length: 8 }, (_, line) => `step_${n} = ${line}`).join('\n')), id: `filler${n}` })),
  ]);
}

/** The element's box relative to the viewport, and the viewport's size. */
function placement(page: Page, selector: string) {
  return page.locator(selector).evaluate((element) => {
    const rect = element.getBoundingClientRect();
    return { left: rect.left, right: rect.right, top: rect.top, bottom: rect.bottom, width: window.innerWidth, height: window.innerHeight };
  });
}

async function noSidewaysScroll(page: Page, what: string): Promise<void> {
  const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth }));
  assert.ok(widths.scroll <= widths.viewport, `${what}: the page is ${widths.scroll}px wide in a ${widths.viewport}px viewport`);
}

test('Export opens inside the viewport at 1280 px; nothing scrolls sideways at 390 px', async () => {
  const nb = await e2e.createNotebook(e2e.adminToken, 'A notebook with a rather long name for a narrow screen', wideNotebook());
  const { context, page, pageErrors } = await signIn(e2e.browser, e2e.url, e2e.adminToken);
  try {
    await page.setViewportSize({ width: 1280, height: 800 });
    await openNotebookPage(page, e2e.url, nb.id);
    await page.locator('.notebook-header .connection[data-state="online"]').waitFor();
    // One row of controls (the old toolbar wrapped and pushed Export to the left edge).
    assert.ok((await placement(page, '.notebook-header')).bottom - (await placement(page, '.notebook-header')).top < 56, 'the header wraps at 1280 px');
    await page.locator('.notebook-header .export-menu summary').click();
    const menu = await placement(page, '.notebook-header .export-menu .menu-panel');
    assert.ok(menu.left >= 0 && menu.right <= menu.width && menu.top >= 0 && menu.bottom <= menu.height, `Export menu at ${JSON.stringify(menu)}`);
    await page.locator('.notebook-header .export-menu .menu-panel button[data-format="ipynb"]').waitFor();
    // The page scrolling under it (here by the wheel) leaves it open, under its button.
    await page.mouse.move(640, 600);
    await page.mouse.wheel(0, 120);
    await page.waitForFunction(() => window.scrollY > 0);
    const after = await page.evaluate(() => ({
      open: (document.querySelector('.notebook-header .export-menu') as HTMLDetailsElement).open,
      gap: document.querySelector('.notebook-header .export-menu .menu-panel')!.getBoundingClientRect().top -
        document.querySelector('.notebook-header .export-menu summary')!.getBoundingClientRect().bottom,
    }));
    assert.ok(after.open && Math.abs(after.gap - 4) <= 1, `after a scroll: ${JSON.stringify(after)}`);
    await page.keyboard.press('Escape');
    await page.locator('.notebook-header .export-menu .menu-panel').waitFor({ state: 'hidden' });
    // Tables in outputs and markdown are styled (borders, header row).
    assert.equal(await page.locator('.cell[data-cell-id="table"] .html-output th').first().evaluate((th) => getComputedStyle(th).borderTopWidth), '1px');
    assert.equal(await page.locator('.cell[data-cell-id="md"] .rendered-markdown th').first().evaluate((th) => getComputedStyle(th).borderTopWidth), '1px');
    // Scrolled, the sticky header sits right under the top bar: no cell shows between them.
    await page.evaluate(() => window.scrollTo(0, 600));
    assert.ok((await page.evaluate(() => window.scrollY)) > 100, 'the page did not scroll');
    const bars = await page.evaluate(() => ({
      topbar: document.getElementById('topbar')!.getBoundingClientRect().bottom,
      header: document.querySelector('.notebook-header')!.getBoundingClientRect().top,
    }));
    assert.ok(Math.abs(bars.header - bars.topbar) <= 1, `a gap between the bars: ${JSON.stringify(bars)}`);

    // A phone.
    await page.setViewportSize({ width: 390, height: 800 });
    await page.reload();
    await page.locator('.notebook-header .connection[data-state="online"]').waitFor();
    await noSidewaysScroll(page, 'notebook');
    const header = await placement(page, '.notebook-header');
    assert.ok(header.bottom - header.top < 100, `the header takes ${header.bottom - header.top}px at 390 px`);
    for (const selector of ['.notebook-header .export-menu', '.notebook-header .overflow-menu']) {
      await page.locator(`${selector} summary`).click();
      const panel = await placement(page, `${selector} .menu-panel`);
      assert.ok(panel.left >= 0 && panel.right <= panel.width, `${selector} at ${JSON.stringify(panel)}`);
      await page.keyboard.press('Escape');
    }
    await screenshot(page, 'layout-390-notebook');
    await page.goto(`${e2e.url}/#/`);
    await page.locator('table.notebooks tr[data-id]').waitFor();
    await noSidewaysScroll(page, 'list');
    await screenshot(page, 'layout-390-list');
    assert.deepEqual(pageErrors, []);
  } finally {
    await context.close();
  }
});

test('dark mode follows the system until the toggle picks one, and the pick is kept', async () => {
  const context = await e2e.browser.newContext({ colorScheme: 'dark', viewport: { width: 1000, height: 700 } });
  try {
    const page = await context.newPage();
    await page.goto(`${e2e.url}/login?token=${e2e.adminToken}`);
    await page.locator('#whoami .user-name').waitFor();
    const background = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    assert.equal(await page.locator('html').getAttribute('data-theme'), 'dark');
    assert.equal(await background(), 'rgb(13, 17, 23)');
    await page.locator('#topbar .theme-toggle').click();
    assert.equal(await page.locator('html').getAttribute('data-theme'), 'light');
    assert.equal(await background(), 'rgb(246, 248, 250)');
    await page.reload();
    await page.locator('#whoami .user-name').waitFor();
    assert.equal(await page.locator('html').getAttribute('data-theme'), 'light', 'the pick was not kept');
    // Picking what the system says again means following the system.
    await page.locator('#topbar .theme-toggle').click();
    await page.emulateMedia({ colorScheme: 'light' });
    await page.locator('html[data-theme="light"]').waitFor();
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.locator('html[data-theme="dark"]').waitFor();
  } finally {
    await context.close();
  }
});

test('an admin creates an account in the UI; its link signs that person in; disable locks them out; the dead link says so on a page', async () => {
  const admin = await signIn(e2e.browser, e2e.url, e2e.adminToken);
  const guest = await newContext(e2e.browser);
  try {
    const page = admin.page;
    page.on('dialog', (dialog) => void dialog.accept());
    await page.locator('#whoami a.admin-link').click();
    await page.locator('.admin-page form.create-account input[name="name"]').fill('Nadia');
    await page.locator('.admin-page form.create-account button[type="submit"]').click();
    const link = await page.locator('.created-account[data-user="Nadia"] input.login-link').inputValue({ timeout: UI_TIMEOUT });
    assert.match(link, new RegExp(`^${e2e.url}/login\\?token=`));
    await page.locator('table.accounts tr[data-user="Nadia"]').waitFor();
    await screenshot(page, 'admin-created-account');

    const nadia = await guest.newPage();
    await nadia.goto(link);
    await nadia.locator('#whoami .user-name', { hasText: 'Nadia' }).waitFor({ timeout: UI_TIMEOUT });
    assert.equal(await nadia.locator('#whoami a.admin-link').count(), 0, 'a plain user sees the admin page link');

    await page.locator('table.accounts tr[data-user="Nadia"] button.disable-account').click();
    await page.locator('table.accounts tr[data-user="Nadia"][data-disabled="true"]').waitFor();
    await nadia.reload();
    await nadia.locator('form.login').waitFor({ timeout: UI_TIMEOUT });
    // Her link no longer works, and says so in words on a page, not as an API error.
    const refused = await nadia.goto(link);
    assert.equal(refused?.status(), 401);
    assert.equal(await nadia.locator('h1').textContent(), 'This sign-in link is not valid');
    assert.doesNotMatch((await nadia.locator('body').textContent()) ?? '', /[{}"]/);
    await nadia.locator('a', { hasText: 'sign in with a token' }).click();
    await nadia.locator('form.login').waitFor({ timeout: UI_TIMEOUT });

    await page.locator('table.accounts tr[data-user="Nadia"] button.delete-account').click();
    await page.locator('table.accounts tr[data-user="Nadia"]').waitFor({ state: 'detached' });
  } finally {
    await admin.context.close();
    await guest.close();
  }
});

test('Share inside the notebook picks people; lists name owners; avatars tell "Alice" from "Anna"', async () => {
  const alice = await e2e.createUser('Alice');
  const anna = await e2e.createUser('Anna');
  const nb = await e2e.createNotebook(e2e.adminToken, 'Shared notes', notebookOf([codeCell('1 + 1')]));
  const owner = await signIn(e2e.browser, e2e.url, e2e.adminToken);
  const pages = [owner];
  try {
    const page = owner.page;
    await openNotebookPage(page, e2e.url, nb.id);
    await page.locator('.notebook-header button.share-notebook').click();
    const dialog = page.locator('dialog.share-dialog');
    for (const name of ['Alice', 'Anna']) {
      await dialog.locator('input[name="member"]').fill(name.slice(0, 2));
      await dialog.locator(`.people-suggestions button[data-user="${name}"]`).click({ timeout: UI_TIMEOUT });
      assert.equal(await dialog.locator('input[name="member"]').inputValue(), name);
      await dialog.locator('.add-member select').selectOption('editor');
      await dialog.locator('.add-member button[type="submit"]').click();
      await dialog.locator(`tr[data-user="${name}"]`).waitFor();
    }
    await screenshot(page, 'share-dialog');
    await dialog.locator('button.modal-close').click();

    for (const user of [alice, anna]) {
      const signedIn = await signIn(e2e.browser, e2e.url, user.token);
      pages.push(signedIn);
      // The list names the owner.
      assert.equal(await signedIn.page.locator(`tr[data-id="${nb.id}"] td.owner`).textContent(), 'admin');
      await openNotebookPage(signedIn.page, e2e.url, nb.id);
    }
    await page.waitForFunction(() => document.querySelectorAll('.presence .person').length === 3, undefined, { timeout: UI_TIMEOUT });
    const avatars = await page.locator('.presence .person').evaluateAll((chips) =>
      chips.map((chip) => ({ label: chip.getAttribute('aria-label'), text: chip.firstChild?.textContent, color: getComputedStyle(chip).backgroundColor })),
    );
    const a = avatars.find((x) => x.label === 'Alice')!;
    const b = avatars.find((x) => x.label === 'Anna')!;
    assert.deepEqual([a.text, b.text], ['Al', 'An']);
    assert.ok(avatars.every((x) => x.color && x.color !== 'rgba(0, 0, 0, 0)'));
    assert.deepEqual([...new Set(avatars.map((x) => `${x.text} ${x.color}`))].length, 3, JSON.stringify(avatars));
  } finally {
    for (const signedIn of pages) await signedIn.context.close();
  }
});
