// An owner must know when kernels are not isolated: with --kernel-sandbox none the notebook page
// tells owners "kernels are not isolated from each other"; runners are not shown it, and with the
// sandbox (the default) nobody is.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { openNotebookPage, signIn } from '../helpers/browser.ts';
import { codeCell, notebookOf, startE2E, type E2E } from './fixture.ts';

const servers: E2E[] = [];
after(async () => {
  for (const server of servers) await server.close();
});

async function bannersSeen(e2e: E2E, token: string, notebookId: string): Promise<string[]> {
  const { context, page, pageErrors } = await signIn(e2e.browser, e2e.url, token);
  try {
    await openNotebookPage(page, e2e.url, notebookId);
    // The header is laid out with the banner, in one go: once it is there, the banner is too (or never).
    await page.locator('.notebook-header .kernel-status').waitFor();
    assert.deepEqual(pageErrors, []);
    return await page.locator('.isolation-banner').allTextContents();
  } finally {
    await context.close();
  }
}

test('with --kernel-sandbox none, owners see that kernels are not isolated; runners do not', async () => {
  const e2e = await startE2E({ kernelSandbox: 'none' });
  servers.push(e2e);
  const nb = await e2e.createNotebook(e2e.adminToken, 'Unprotected', notebookOf([codeCell('1+1')]));
  const runner = await e2e.createUser('runner');
  await e2e.setMember(e2e.adminToken, nb.id, runner.id, 'runner');

  const [banner, ...more] = await bannersSeen(e2e, e2e.adminToken, nb.id);
  assert.equal(more.length, 0);
  assert.match(banner ?? '', /kernels are not isolated from each other/);
  assert.deepEqual(await bannersSeen(e2e, runner.token, nb.id), []);
});

test('with the sandbox, the owner sees no such banner', async () => {
  const e2e = await startE2E();
  servers.push(e2e);
  const nb = await e2e.createNotebook(e2e.adminToken, 'Protected', notebookOf([codeCell('1+1')]));
  assert.deepEqual(await bannersSeen(e2e, e2e.adminToken, nb.id), []);
});
