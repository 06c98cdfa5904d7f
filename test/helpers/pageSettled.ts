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

// A string, not a function: an init script from a function the test's transpiler wrapped would
// call a helper the page lacks.
const RECORD = `(() => {
  if (window.__elementEventsSeen) return;
  const seen = new WeakSet();
  for (const type of ['load', 'error', 'beginEvent', 'loadstart']) document.addEventListener(type, (event) => seen.add(event.target), true);
  Object.defineProperty(window, '__elementEventsSeen', { value: seen });
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
  // A function, not a string: Playwright evaluates a string again at every poll, which the page's
  // CSP (no 'unsafe-eval') refuses. No named helpers inside, for the transpiler's sake.
  await page.waitForFunction(
    (selector) => {
      const seen = (window as { __elementEventsSeen?: WeakSet<Element> }).__elementEventsSeen;
      if (!seen) throw new Error('recordElementEvents() was not called for this page');
      return [...document.querySelectorAll(selector)].every((element) => seen.has(element));
    },
    FIRES_AN_EVENT,
    { timeout: timeoutMs },
  );
  await page.evaluate('document.fonts.ready.then(() => undefined)');
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(undefined))))');
}
