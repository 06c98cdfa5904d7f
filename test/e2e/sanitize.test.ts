// Untrusted HTML in outputs and markdown runs nothing: each payload would set window.__pwned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { cellEditor, openNotebookPage, screenshot, signIn } from '../helpers/browser.ts';
import { pageSettled, recordElementEvents } from '../helpers/pageSettled.ts';
import { codeCell, markdownCell, notebookOf, useE2E } from './fixture.ts';

const e2e = useE2E();

const HTML_PAYLOAD = [
  'SAFE-MARKER',
  `<img src=x onerror="window.__pwned='img-onerror'">`,
  `<script>window.__pwned='script'</script>`,
  `<a class="js-link" href="javascript:window.__pwned='js-link'">click me</a>`,
  `<iframe srcdoc="<script>parent.__pwned='iframe'</script>"></iframe>`,
  `<div onmouseover="window.__pwned='mouseover'" class="hover-me">hover</div>`,
  `<svg><animate onbegin="window.__pwned='svg-animate'" attributeName="x" dur="1s"/></svg>`,
].join('\n');

const SVG_PAYLOAD = `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><script>window.__pwned='svg-script'</script><rect width="10" height="10" onload="window.__pwned='svg-onload'"/><a href="javascript:window.__pwned='svg-link'"><text class="svg-link" y="20">x</text></a></svg>`;

function pwned(page: Page): Promise<unknown> {
  return page.evaluate(() => (window as { __pwned?: unknown }).__pwned);
}

async function assertNothingRan(page: Page): Promise<void> {
  // Every image, frame and animation left in the page has fired its event, so its handlers had
  // their chance to run.
  await pageSettled(page);
  assert.equal(await pwned(page), undefined, 'a payload ran on render');
  const leftovers = await page.evaluate(() => {
    const root = document.querySelector('.cells');
    if (!root) return ['no cells'];
    const found: string[] = [];
    if (root.querySelector('script, iframe')) found.push('script/iframe element');
    for (const element of root.querySelectorAll('*')) {
      for (const attribute of element.attributes) {
        if (attribute.name.startsWith('on')) found.push(`${element.tagName} ${attribute.name}`);
        if (/^\s*javascript:/i.test(attribute.value)) found.push(`${element.tagName} ${attribute.name}=javascript:`);
      }
    }
    return found;
  });
  assert.deepEqual(leftovers, []);
  // What is left must stay inert when used.
  for (const link of await page.locator('.cells a.js-link, .cells .rendered-markdown a').all()) {
    await link.click({ timeout: 5_000 });
  }
  await page.locator('.cells .hover-me').first().hover();
  // The handlers of a click or a hover run in its dispatch, which Playwright waits for; what the
  // dispatch queued (a link's navigation) runs before the page has rendered twice more.
  await pageSettled(page);
  assert.equal(await pwned(page), undefined, 'a payload ran on click or hover');
}

test('saved outputs and markdown cells carrying scripts, handlers and javascript: links run nothing', async () => {
  const notebook = notebookOf([
    markdownCell(`# Notes\n\nSAFE-MARKER in markdown\n\n${HTML_PAYLOAD}\n\n[md link](javascript:window.__pwned='md-link')`),
    codeCell('print(1)', [
      { output_type: 'display_data', data: { 'text/html': HTML_PAYLOAD, 'text/plain': 'html' }, metadata: {} },
      { output_type: 'display_data', data: { 'image/svg+xml': SVG_PAYLOAD, 'text/plain': 'svg' }, metadata: {} },
      { output_type: 'execute_result', execution_count: 1, data: { 'text/markdown': `md output ${HTML_PAYLOAD}` }, metadata: {} },
    ]),
  ]);
  const nb = await e2e.createNotebook(e2e.adminToken, 'Hostile', notebook);
  const { context, page, pageErrors } = await signIn(e2e.browser, e2e.url, e2e.adminToken);
  try {
    await recordElementEvents(context, page);
    await openNotebookPage(page, e2e.url, nb.id);
    await page.locator('.cell-markdown .rendered-markdown', { hasText: 'SAFE-MARKER in markdown' }).waitFor();
    await page.locator('.html-output', { hasText: 'SAFE-MARKER' }).waitFor();
    await page.locator('.markdown-output', { hasText: 'md output' }).waitFor();
    await page.locator('.svg-output svg').waitFor();
    // Saved outputs are marked as such (they are not this user's run).
    assert.equal(await page.locator('.cell-code .cell-outputs').getAttribute('data-source'), 'saved');
    await assertNothingRan(page);
    await screenshot(page, 'sanitize-saved');
    assert.deepEqual(pageErrors, []);
  } finally {
    await context.close();
  }
});

test('a live HTML output from the kernel runs nothing either', async () => {
  const nb = await e2e.createNotebook(e2e.adminToken, 'Hostile live');
  const { context, page } = await signIn(e2e.browser, e2e.url, e2e.adminToken);
  try {
    await recordElementEvents(context, page);
    await openNotebookPage(page, e2e.url, nb.id);
    await cellEditor(page, 0).click();
    await page.keyboard.insertText(`from IPython.display import HTML, SVG, display\ndisplay(HTML(${JSON.stringify(HTML_PAYLOAD)}))\ndisplay(SVG(${JSON.stringify(SVG_PAYLOAD)}))`);
    await page.keyboard.press('Control+Enter');
    await page.locator('.html-output', { hasText: 'SAFE-MARKER' }).waitFor({ timeout: 60_000 });
    await page.locator('.svg-output svg').waitFor({ timeout: 60_000 });
    await assertNothingRan(page);
  } finally {
    await context.close();
  }
});
