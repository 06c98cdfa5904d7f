// A write the server refuses (here: over --max-write-bytes) is explained on the page, the cells
// become read-only, and the page does not reconnect — reconnecting would send the refused change
// again, forever. The stored document keeps what it had; another user's page is not disturbed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedRoom } from '../../shared/rooms.ts';
import { cellSource } from '../../shared/schema.ts';
import { sharedDoc } from '../../shared/layout.ts';
import * as Y from 'yjs';
import { startTestServer } from '../helpers/server.ts';
import { apiCall, cellEditor, launchBrowser, openNotebookPage, signIn, waitForCellText } from '../helpers/browser.ts';
import { eventually } from '../helpers/eventually.ts';
import { builtClientDir } from './clientBuild.ts';

test('a refused write is explained on the page, which stops reconnecting', async () => {
  const browser = await launchBrowser();
  const server = await startTestServer({ clientDir: builtClientDir(), maxWriteBytes: 2048 });
  try {
    const { url, adminToken } = server;
    const nb = await apiCall<{ id: string }>(url, adminToken, 'POST', '/api/notebooks', { name: 'Limits' });
    const a = await signIn(browser, url, adminToken);
    const sockets: string[] = [];
    a.page.on('websocket', (ws) => sockets.push(ws.url()));
    await openNotebookPage(a.page, url, nb.id);
    await a.page.waitForSelector('.connection[data-state="online"]');
    await cellEditor(a.page, 0).click();
    await a.page.keyboard.type('kept = 1');
    const stored = async () => {
      await (await server.server.rooms.loaded(sharedRoom(nb.id)))?.flushed();
      const doc = new Y.Doc();
      Y.applyUpdate(doc, (await server.server.store.docs.load(sharedRoom(nb.id)))!);
      return cellSource(sharedDoc(doc).cells.get(0)).toString();
    };
    await eventually(async () => (await stored()) === 'kept = 1');
    const opened = sockets.length;

    // One paste of 3,000 characters: one update over the 2 KiB limit.
    await a.page.keyboard.insertText(`\n${'#'.repeat(3000)}`);
    const message = a.page.locator('#message .message-text');
    await message.waitFor();
    assert.match(await message.innerText(), /too large for the server and was not saved.*over the limit of 2\.0 KiB per write/s);
    await a.page.waitForSelector('.connection[data-state="refused"]');
    assert.equal(await stored(), 'kept = 1', 'nothing of the refused write was stored');

    // Another user's page sees the stored text and goes on working.
    const b = await signIn(browser, url, adminToken);
    await openNotebookPage(b.page, url, nb.id);
    await waitForCellText(b.page, 0, (text) => text === 'kept = 1');
    await cellEditor(b.page, 0).click();
    await b.page.keyboard.press('End');
    await b.page.keyboard.type(' # b');
    await eventually(async () => (await stored()) === 'kept = 1 # b');
    // By now a reconnecting page would have opened a new socket (y-websocket's first retry comes
    // 100 ms after a close; b signing in, opening and editing took seconds): a's page opened none.
    assert.equal(sockets.length, opened, `the refused page reconnected: ${sockets.join(', ')}`);
    assert.deepEqual([...a.pageErrors, ...b.pageErrors], []);
  } finally {
    await browser.close();
    await server.close();
  }
});
