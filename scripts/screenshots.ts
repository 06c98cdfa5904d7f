// `npm run screenshots`: the README's pictures, taken from the real UI — a real server (temp data
// dir), real kernels, headless Chromium — into docs/screenshots/. Re-run it after a visible change
// and commit the images.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { projectRoot } from '../server/config.ts';
import { apiCall, joinAsGuest, launchBrowser, openNotebookPage, signIn, type SignedInPage } from '../test/helpers/browser.ts';
import { startTestServer, type TestServer } from '../test/helpers/server.ts';
import { builtClientDir } from '../test/e2e/clientBuild.ts';
import { notebookOf } from '../shared/schema.ts';

const OUT = join(projectRoot, 'docs/screenshots');
const KERNEL_TIMEOUT = 90_000;
const VIEWPORT = { width: 1280, height: 800 };

const code = (id: string, source: string) => ({ cell_type: 'code' as const, id, source, metadata: {}, outputs: [], execution_count: null });
const markdown = (id: string, source: string) => ({ cell_type: 'markdown' as const, id, source, metadata: {} });

function lesson() {
  return notebookOf([
    markdown('intro', '# Weather in four cities\n\nEach of you gets **your own kernel**: run the cells, change the numbers, and your results stay yours.\n\n| city | latitude |\n|---|---|\n| Oslo | 59.9 |\n| Lisbon | 38.7 |'),
    code('load', "import numpy as np\nimport pandas as pd\n\nrng = np.random.default_rng(7)\ndays = pd.date_range('2026-03-01', periods=30)\ntemps = pd.DataFrame({city: rng.normal(mean, 3, len(days)).round(1)\n                      for city, mean in [('Oslo', 2), ('Lisbon', 15), ('Nairobi', 21), ('Quito', 14)]}, index=days)\ntemps.describe().round(1)"),
    code('plot', "import matplotlib.pyplot as plt\n\nax = temps.plot(figsize=(8, 3), title='Daily mean temperature (°C)')\nax.set_xlabel('')\nplt.show()"),
    code('warmest', "warmest = temps.mean().idxmax()\nprint(f'The warmest city on average is {warmest}')"),
    markdown('task', '## Your turn\n\nWhich city varies the most from day to day? Compute it, then press **Publish** on your cell.'),
    code('answer', '# your answer here\ntemps.std().idxmax()'),
    markdown('next', '## Next: rainfall'),
  ]);
}

async function runCell(page: Page, id: string): Promise<void> {
  const cell = page.locator(`.notebook-page > .cells > .cell[data-cell-id="${id}"]`);
  await cell.locator('button.run').click();
  await cell.locator('.execution[data-status="ok"]').waitFor({ timeout: KERNEL_TIMEOUT });
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(OUT, `${name}.png`) });
  console.log(`docs/screenshots/${name}.png`);
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  // The links in the pictures name the address students would use (see "Listen on the network").
  const server: TestServer = await startTestServer({ clientDir: builtClientDir(), poolSize: 1, publicUrl: 'http://192.168.1.20:8888' });
  let browser: Browser | undefined;
  const pages: SignedInPage[] = [];
  try {
    browser = await launchBrowser();
    const teacher = await server.createUser('Ms Rivera');
    const nb = await apiCall<{ id: string }>(server.url, teacher.token, 'POST', '/api/notebooks', { name: 'Weather in four cities', notebook: lesson() });
    const other = await apiCall<{ id: string }>(server.url, teacher.token, 'POST', '/api/notebooks', { name: 'Scratch', notebook: notebookOf([code('s', 'x = list(range(10**6))')]) });

    // 1. The notebook, as its owner sees it after running it.
    const t = await signIn(browser, server.url, teacher.token);
    pages.push(t);
    await t.page.setViewportSize(VIEWPORT);
    await openNotebookPage(t.page, server.url, nb.id);
    for (const id of ['load', 'plot', 'warmest']) await runCell(t.page, id);
    await t.page.locator('.cell[data-cell-id="load"]').click({ position: { x: 40, y: 10 } });
    await t.page.evaluate(() => window.scrollTo(0, 0));
    await shot(t.page, 'notebook');
    await t.page.emulateMedia({ colorScheme: 'dark' });
    await shot(t.page, 'notebook-dark');
    await t.page.emulateMedia({ colorScheme: 'light' });

    // 2. A live class: students join with the code; the teacher hides the next step, a student
    // publishes and the teacher puts it on screen.
    await t.page.locator('button.session-toggle').click();
    await t.page.locator('.classroom-panel button.start-session').click();
    const joinCode = ((await t.page.locator('.classroom-panel .join-code').textContent()) ?? '').trim();
    await t.page.locator('.notebook-page > .cells > .cell[data-cell-id="next"]').click({ position: { x: 40, y: 10 } });
    await t.page.locator('.classroom-panel button.hide-from').click();
    await t.page.locator('.classroom-panel .hidden-count[data-count="1"]').waitFor();
    const students: SignedInPage[] = [];
    for (const name of ['Ada', 'Bo', 'Chen']) {
      const student = await joinAsGuest(browser, server.url, joinCode, name);
      pages.push(student);
      students.push(student);
    }
    const ada = students[0]!.page;
    await ada.setViewportSize(VIEWPORT);
    for (const id of ['load', 'answer']) await runCell(ada, id);
    await ada.locator('.cell[data-cell-id="answer"] button.publish').click();
    await t.page.locator('.published-card[data-cell-id="answer"] button.spotlight-on').first().click({ timeout: 20_000 });
    await t.page.locator('.notebook-page > .cells > .cell[data-cell-id="task"]').click({ position: { x: 40, y: 10 } });
    await t.page.locator('.classroom-panel .roster[data-connected="3"]').waitFor({ timeout: 20_000 });
    await t.page.evaluate(() => document.querySelector('.classroom-panel')?.scrollTo(0, 0));
    await shot(t.page, 'live-class');
    await ada.locator('.spotlight').waitFor();
    await ada.locator('.notebook-page > .cells > .cell[data-cell-id="answer"]').scrollIntoViewIfNeeded();
    await shot(ada, 'live-class-student');

    // 3. The kernels panel: the teacher's kernels in two notebooks, with memory and activity.
    await apiCall(server.url, teacher.token, 'POST', `/api/notebooks/${other.id}/execute?wait=true`, { cellIds: ['s'] });
    await t.page.locator('button.session-toggle').click();
    await t.page.locator('#whoami button.open-kernels').click();
    await t.page.locator('.running-panel tr[data-kernel-id]').nth(2).waitFor({ timeout: 20_000 });
    await shot(t.page, 'kernels');
  } finally {
    for (const page of pages) await page.context.close().catch(() => undefined);
    await browser?.close();
    await server.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
