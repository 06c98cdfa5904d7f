// Each output MIME type renders as itself (no kernel needed: saved outputs of an imported notebook).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openNotebookPage, screenshot, signIn } from '../helpers/browser.ts';
import { codeCell, markdownCell, notebookOf, useE2E } from './fixture.ts';

const e2e = useE2E();

// A 1x1 transparent PNG.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

test('text, ANSI colours, LaTeX, markdown, images, JSON, the truncation marker and missing widgets', async () => {
  const notebook = notebookOf([
    markdownCell('Euler: $e^{i\\pi} + 1 = 0$ and **bold**'),
    codeCell('x', [
      { output_type: 'stream', name: 'stdout', text: ['plain ', '\u001b[31mred text\u001b[0m\n'] },
      { output_type: 'display_data', data: { 'text/latex': '$$\\frac{a}{b}$$', 'text/plain': 'a/b' }, metadata: {} },
      { output_type: 'display_data', data: { 'text/markdown': '**strong** $x^2$' }, metadata: {} },
      { output_type: 'display_data', data: { 'image/png': PNG, 'text/plain': '<Figure>' }, metadata: {} },
      { output_type: 'execute_result', execution_count: 3, data: { 'application/json': { answer: 42 } }, metadata: {} },
      {
        output_type: 'display_data',
        data: { 'application/vnd.jupyter.widget-view+json': { model_id: 'gone', version_major: 2, version_minor: 0 }, 'text/plain': 'IntSlider' },
        metadata: {},
      },
      {
        output_type: 'display_data',
        data: { 'text/plain': 'Output truncated: this cell printed more than 1 MB; the rest was dropped.' },
        metadata: { cohort: { truncated: true } },
      },
    ]),
  ]);
  const nb = await e2e.createNotebook(e2e.adminToken, 'Renderers', notebook);
  const { context, page, pageErrors } = await signIn(e2e.browser, e2e.url, e2e.adminToken);
  try {
    await openNotebookPage(page, e2e.url, nb.id);
    const cell = page.locator('.cell-code');
    await cell.locator('.output').nth(6).waitFor();

    assert.equal(await page.locator('.cell-markdown .rendered-markdown .katex').count(), 1);
    assert.equal(await page.locator('.cell-markdown .rendered-markdown strong').textContent(), 'bold');
    assert.equal(await cell.locator('.output-stream .ansi-red-fg').textContent(), 'red text');
    assert.match((await cell.locator('.output-stream').textContent()) ?? '', /^plain red text/);
    assert.equal(await cell.locator('.output-display_data .katex-display').count(), 1);
    assert.equal(await cell.locator('.markdown-output strong').textContent(), 'strong');
    assert.equal(await cell.locator('.markdown-output .katex').count(), 1);
    assert.equal(await cell.locator('.output img').getAttribute('src'), `data:image/png;base64,${PNG}`);
    assert.deepEqual(JSON.parse((await cell.locator('.json-output').textContent()) ?? ''), { answer: 42 });
    assert.match((await cell.locator('.widget-placeholder').textContent()) ?? '', /not available/);
    assert.match((await cell.locator('.truncation-marker').textContent()) ?? '', /Output truncated/);
    // The notice that the output was cut comes first, before what was kept.
    assert.equal(await cell.locator('.outputs > .output').first().evaluate((output) => output.classList.contains('truncation-marker')), true);
    await screenshot(page, 'rendering');
    assert.deepEqual(pageErrors, []);
  } finally {
    await context.close();
  }
});
