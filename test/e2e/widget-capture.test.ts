// Output widget capture in the browser: nbclient's Output.ipynb (Debian's python3-nbclient test
// files, installed by `npm run setup`) run from the page shows what its stored outputs say, the
// nested `with` case included; and a capture that is mid-run when the page reloads finishes in the
// right widgets, in both scopes (the capture stack lives in the server, not in the page).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import type { JSONObject, Notebook, Output } from '../../shared/nbformat.ts';
import { apiCall, openNotebookPage, screenshot, signIn } from '../helpers/browser.ts';
import { NBCLIENT_FILES } from '../unit/notebooks/notebookFiles.ts';
import { codeCell, notebookOf, useE2E } from './fixture.ts';

const e2e = useE2E();

const KERNEL_TIMEOUT = 90_000;
const VIEW_MIME = 'application/vnd.jupyter.widget-view+json';
const STATE_MIME = 'application/vnd.jupyter.widget-state+json';
const text = (value: unknown) => (Array.isArray(value) ? value.join('') : String(value ?? ''));
const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/** What a person reads of an output: a stream's text, a display's plain text, an error's last line. */
function readable(output: Output): string {
  if (output.output_type === 'stream') return text(output.text);
  if (output.output_type === 'error') return `${output.ename}: ${output.evalue}`;
  return text(output.data['text/plain']);
}

/** Per cell of the page: the texts of its own outputs (widgets aside) and of each Output widget in it. */
function pageOutputs(page: Page) {
  return page.locator('.cell').evaluateAll((cells) =>
    cells.map((cell) => {
      const outputs = [...cell.querySelectorAll(':scope .outputs > .output')];
      return {
        own: outputs.filter((o) => !o.querySelector('.widget-host')).map((o) => (o as HTMLElement).innerText),
        widgets: [...cell.querySelectorAll('.widget-output')].map((w) => (w as HTMLElement).innerText),
      };
    }),
  );
}

test("nbclient's Output.ipynb run from the page shows its stored outputs, the nested case cell by cell", async () => {
  const file = JSON.parse(readFileSync(join(NBCLIENT_FILES, 'Output.ipynb'), 'utf8')) as Notebook;
  const nb = await e2e.createNotebook(e2e.adminToken, 'Output.ipynb', file);
  const { context, page, pageErrors } = await signIn(e2e.browser, e2e.url, e2e.adminToken);
  try {
    await openNotebookPage(page, e2e.url, nb.id);
    await page.locator('button.run-all').click();
    const last = page.locator('.cell').nth(file.cells.length - 1).locator('.execution');
    await page.waitForFunction(
      (n) => [...document.querySelectorAll('.cell .execution')].slice(0, n).every((e) => (e as HTMLElement).dataset['status'] === 'ok'),
      file.cells.length,
      { timeout: KERNEL_TIMEOUT },
    );
    assert.equal(await last.getAttribute('data-status'), 'ok');
    const saved = (file.metadata['widgets'] as unknown as Record<string, { state: Record<string, { state: { outputs?: Output[] } }> }>)[STATE_MIME]!.state;
    // Widget views render asynchronously: wait until the page shows what the file says, then compare.
    const expected = file.cells.map((cell) => {
      const outputs = cell.cell_type === 'code' ? cell.outputs : [];
      const views = outputs.flatMap((o) => ('data' in o && o.data[VIEW_MIME] ? [(o.data[VIEW_MIME] as { model_id: string }).model_id] : []));
      return {
        own: outputs.filter((o) => !('data' in o && o.data[VIEW_MIME])).map((o) => squash(readable(o))),
        widgets: views.map((id) => squash((saved[id]?.state.outputs ?? []).map(readable).join(''))),
      };
    });
    const shown = async () =>
      (await pageOutputs(page)).map((cell, index) => ({
        own: cell.own.map(squash),
        // An error shows its traceback; the file's last line (ename: evalue) is what both have.
        widgets: cell.widgets.map((w, i) => {
          const want = expected[index]?.widgets[i] ?? '';
          return want.includes('ValueError') && squash(w).includes('trigger msg_type=error') ? want : squash(w);
        }),
      }));
    let actual = await shown();
    const deadline = Date.now() + 20_000;
    while (JSON.stringify(actual) !== JSON.stringify(expected) && Date.now() < deadline) {
      await page.waitForTimeout(200);
      actual = await shown();
    }
    expected.forEach((cell, index) => assert.deepEqual(actual[index], cell, `cell ${index}: ${text(file.cells[index]!.source).split('\n')[0]}`));
    assert.deepEqual(actual[11]!.widgets, ['in inner also in inner']);
    assert.deepEqual(actual[12]!.widgets, ['in outer']);
    assert.deepEqual(actual[13]!.own, []);
    await screenshot(page, 'output-ipynb');
    assert.deepEqual(pageErrors, []);
  } finally {
    await context.close();
  }
});

for (const scope of ['user', 'shared'] as const) {
  test(`a nested capture survives a page reload mid-run (${scope} scope)`, async () => {
    const metadata: JSONObject = scope === 'shared' ? { cohort: { scope: 'shared' } } : {};
    const nb = await e2e.createNotebook(
      e2e.adminToken,
      `reload-${scope}`,
      notebookOf([
        codeCell('import ipywidgets as w\na, b = w.Output(), w.Output()\ndisplay(a)\ndisplay(b)', [], metadata),
        codeCell(
          [
            'with a:',
            "    print('a-before')",
            '    with b:',
            "        print('b-start')",
            "        answer = input('continue? ')",
            "        print('b-end', answer)",
            "    print('a-after')",
            "print('cell-own')",
          ].join('\n'),
          [],
          metadata,
        ),
      ]),
    );
    const student = await e2e.createUser(`student-${scope}`);
    await e2e.setMember(e2e.adminToken, nb.id, student.id, 'runner');
    const owner = await signIn(e2e.browser, e2e.url, e2e.adminToken);
    const watcher = scope === 'shared' ? await signIn(e2e.browser, e2e.url, student.token) : undefined;
    const widgetText = (page: Page, index: number) => page.locator('.cell').nth(0).locator('.widget-output').nth(index);
    try {
      await openNotebookPage(owner.page, e2e.url, nb.id);
      if (watcher) await openNotebookPage(watcher.page, e2e.url, nb.id);
      await owner.page.locator('.cell').nth(0).locator('button.run').click();
      // An empty Output widget has no size: attached is all it can be.
      await widgetText(owner.page, 1).waitFor({ state: 'attached', timeout: KERNEL_TIMEOUT });
      await owner.page.locator('.cell').nth(1).locator('button.run').click();
      await widgetText(owner.page, 1).filter({ hasText: 'b-start' }).waitFor({ timeout: KERNEL_TIMEOUT });

      await owner.page.reload();
      await owner.page.waitForSelector('.notebook-page .cells');
      // Still mid-run: the cell waits for its input (its prompt is on the page again), and what
      // was captured so far is there.
      await owner.page.locator('.cell').nth(1).locator('.stdin-prompt', { hasText: 'continue?' }).waitFor({ timeout: 20_000 });
      await widgetText(owner.page, 1).filter({ hasText: 'b-start' }).waitFor({ timeout: 20_000 });
      await apiCall(e2e.url, e2e.adminToken, 'POST', `/api/notebooks/${nb.id}/stdin`, { value: 'go' });

      for (const page of [owner.page, ...(watcher ? [watcher.page] : [])]) {
        await page.locator('.cell').nth(1).locator('.outputs', { hasText: 'cell-own' }).waitFor({ timeout: KERNEL_TIMEOUT });
        await widgetText(page, 0).filter({ hasText: 'a-after' }).waitFor();
        await widgetText(page, 1).filter({ hasText: 'b-end go' }).waitFor();
        assert.equal(squash(await widgetText(page, 0).innerText()), 'a-before a-after');
        assert.equal(squash(await widgetText(page, 1).innerText()), 'b-start b-end go');
        const own = (await pageOutputs(page))[1]!.own.map(squash);
        assert.deepEqual(own, ['cell-own'], 'only the print outside every with block is the cell’s own');
      }
      await screenshot(owner.page, `capture-after-reload-${scope}`);
      assert.deepEqual(owner.pageErrors, []);
    } finally {
      await owner.context.close();
      await watcher?.context.close();
    }
  });
}
