// A third-party widget library in the browser: bqplot (Python side from Debian, its nbextension
// bundle in .python/share/jupyter, both installed by `npm run setup`) loaded on demand from the
// server under the page's strict CSP — the fixture fails the file on any violation, so no eval and
// no unsanctioned style. A figure renders; a point clicked in the browser reaches the kernel (a
// binary-buffer trait); the figure's PNG comes back to the kernel through custom messages both
// ways. A library that is not installed shows a placeholder naming it, and the rest works.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { openNotebookPage, screenshot, signIn } from '../helpers/browser.ts';
import { codeCell, notebookOf, useE2E } from './fixture.ts';

const e2e = useE2E();

const KERNEL_TIMEOUT = 90_000;

const run = (page: Page, index: number) => page.locator('.cell').nth(index).locator('button.run').click();
const outputsOf = (page: Page, index: number) => page.locator('.cell').nth(index).locator('.outputs');

test('a bqplot figure renders, a click selects a point in the kernel, and its PNG round-trips by custom messages', async () => {
  const nb = await e2e.createNotebook(
    e2e.adminToken,
    'bqplot',
    notebookOf([
      codeCell(
        [
          'import bqplot as bq',
          'x, y = bq.LinearScale(), bq.LinearScale()',
          "dots = bq.Scatter(x=[0, 1, 2, 3], y=[3, 1, 2, 0], scales={'x': x, 'y': y}, interactions={'click': 'select'}, default_size=400)",
          "fig = bq.Figure(marks=[dots], axes=[bq.Axis(scale=x), bq.Axis(scale=y, orientation='vertical')], title='cohort figure')",
          'fig',
        ].join('\n'),
      ),
      codeCell("print('selected', None if dots.selected is None else list(dots.selected))"),
      codeCell("fig.get_png_data(lambda png: print('png', len(png), bytes(png[:4])))"),
    ]),
  );
  const { context, page, pageErrors } = await signIn(e2e.browser, e2e.url, e2e.adminToken);
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  try {
    await openNotebookPage(page, e2e.url, nb.id);
    await run(page, 0);
    const figure = page.locator('.cell').nth(0).locator('svg.svg-figure');
    await figure.waitFor({ timeout: KERNEL_TIMEOUT });
    await page.locator('.cell').nth(0).locator('text.mainheading', { hasText: 'cohort figure' }).waitFor();
    const dots = page.locator('.cell').nth(0).locator('path.dot');
    await page.waitForFunction(() => document.querySelectorAll('.cell path.dot').length === 4, undefined, { timeout: 20_000 });
    assert.ok(requests.some((url) => url.endsWith('/widget-modules/bqplot/index.js')), 'the bundle came from this server');
    assert.ok(requests.every((url) => url.startsWith(e2e.url)), `a request left the server: ${requests.filter((u) => !u.startsWith(e2e.url)).join(', ')}`);

    // A value changed in the browser: clicking the third point selects it, in the kernel too.
    await dots.nth(2).click();
    await run(page, 1);
    await outputsOf(page, 1).filter({ hasText: 'selected [2]' }).waitFor({ timeout: KERNEL_TIMEOUT });

    // Kernel → browser: send({type: 'upload_png'}); the figure draws itself and answers with the
    // PNG bytes as a buffer of its own send(); the kernel's callback prints into the figure's cell.
    await run(page, 2);
    await outputsOf(page, 0).filter({ hasText: /png \d+ b'\\x89PNG'/ }).waitFor({ timeout: KERNEL_TIMEOUT });
    await screenshot(page, 'bqplot-figure');
    assert.deepEqual(pageErrors, []);
  } finally {
    await context.close();
  }
});

test('a model whose library is not installed shows a placeholder naming it; the rest of the page works', async () => {
  const nb = await e2e.createNotebook(
    e2e.adminToken,
    'missing library',
    notebookOf([
      codeCell(
        [
          'import ipywidgets as w',
          'from traitlets import Unicode',
          'class Elsewhere(w.DOMWidget):',
          "    _model_name = Unicode('ThingModel').tag(sync=True)",
          "    _model_module = Unicode('cohort-test-missing').tag(sync=True)",
          "    _model_module_version = Unicode('^1.2.3').tag(sync=True)",
          "    _view_name = Unicode('ThingView').tag(sync=True)",
          "    _view_module = Unicode('cohort-test-missing').tag(sync=True)",
          "    _view_module_version = Unicode('^1.2.3').tag(sync=True)",
          'display(Elsewhere())',
          's = w.IntSlider(value=2, max=10)',
          'display(s)',
        ].join('\n'),
      ),
      codeCell("print('slider at', s.value)"),
    ]),
  );
  const { context, page, pageErrors } = await signIn(e2e.browser, e2e.url, e2e.adminToken);
  try {
    await openNotebookPage(page, e2e.url, nb.id);
    await run(page, 0);
    const placeholder = page.locator('.cell').nth(0).locator('.widget-placeholder', { hasText: 'cohort-test-missing' });
    await placeholder.waitFor({ timeout: KERNEL_TIMEOUT });
    assert.match((await placeholder.textContent()) ?? '', /"cohort-test-missing" "\^1\.2\.3", which is not installed on this server/);
    const handle = page.locator('.cell').nth(0).locator('.noUi-handle');
    await handle.focus();
    await page.keyboard.press('ArrowRight');
    await page.locator('.cell').nth(0).locator('.widget-readout', { hasText: /^3$/ }).waitFor();
    await run(page, 1);
    await outputsOf(page, 1).filter({ hasText: 'slider at 3' }).waitFor({ timeout: KERNEL_TIMEOUT });
    assert.deepEqual(pageErrors, []);
  } finally {
    await context.close();
  }
});
