// Absence checks in a real page ("no payload ran", "nothing was fetched") against the page's own
// events, not a clock. Whatever a hostile element could run or fetch later happens in the dispatch
// of one of its events, or before it: an image's `load`/`error`, a frame's `load`, an SVG
// animation's `beginEvent`, a video's or audio's `loadstart` (its fetch begins). A
// listener on the document in the capture phase sees each such event first, and the element's
// own handlers run in that same dispatch; so once every such element in the page has had its
// event seen, its handlers have run (or were refused). Two animation frames after that, the page
// has applied its styles and laid itself out (the url() and font fetches they start have started)
// and has run the tasks queued before (a click's default action), and `document.fonts.ready`
// says every font load it started is over.
import type { BrowserContext, Page } from 'playwright-core';

/** Elements that fire one of the recorded events by themselves once they are in the page. */
const FIRES_AN_EVENT = [
  'img[src]',
  'img[srcset]',
  'input[type="image"][src]',
  'video[src]',
  'audio[src]',
  'iframe',
  'frame',
  'animate',
  'set',
  'animateMotion',
  'animateTransform',
].join(', ');

// Strings, not functions: the test's transpiler would wrap a function in a helper the page lacks.
const RECORD = `(() => {
  if (window.__elementEventsSeen) return;
  const seen = new WeakSet();
  for (const type of ['load', 'error', 'beginEvent', 'loadstart']) document.addEventListener(type, (event) => seen.add(event.target), true);
  Object.defineProperty(window, '__elementEventsSeen', { value: seen });
})()`;

const ALL_FIRED = `(() => {
  const seen = window.__elementEventsSeen;
  if (!seen) throw new Error('recordElementEvents() was not called for this page');
  return [...document.querySelectorAll(${JSON.stringify(FIRES_AN_EVENT)})].every((element) => seen.has(element));
})()`;

/**
 * Starts recording those events: in every document the context opens from now on, and in the
 * page's current document (a notebook opened by its `#/nb/…` address stays in that document).
 */
export async function recordElementEvents(context: BrowserContext, page?: Page): Promise<void> {
  await context.addInitScript({ content: RECORD });
  if (page) await page.evaluate(RECORD);
}

/**
 * Resolves once every element of the page that fires an event by itself has fired it, the fonts
 * the page asked for are loaded (or failed), and the page has rendered twice since.
 */
export async function pageSettled(page: Page, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(ALL_FIRED, undefined, { timeout: timeoutMs });
  await page.evaluate('document.fonts.ready.then(() => undefined)');
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(undefined))))');
}
