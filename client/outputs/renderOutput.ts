// One nbformat output → DOM, picking the richest MIME type we can show safely.
import { AnsiUp } from 'ansi_up';
import type { JSONValue, Output } from '../../shared/nbformat.ts';
import { joinMultiline } from '../../shared/nbformat.ts';
import { h } from '../dom.ts';
import { renderLatex, renderMarkdown } from './markdown.ts';
import { sanitizeHtml, sanitizeSvg } from './sanitize.ts';

export const WIDGET_MIME = 'application/vnd.jupyter.widget-view+json';

/**
 * Dispatched on a widget host just before its output leaves the page, while it is still in the
 * document: the manager detaches the view then (a Lumino widget whose node vanished unannounced
 * throws when it is disposed later).
 */
export const WIDGET_RELEASE_EVENT = 'cohort:widget-release';

export function releaseWidgets(node: Element): void {
  for (const host of node.querySelectorAll('.widget-host')) host.dispatchEvent(new Event(WIDGET_RELEASE_EVENT));
}

/** Renders a widget view into `host`; provided by the notebook's widget manager for the output's scope. */
export type WidgetRenderer = (modelId: string, host: HTMLElement) => void;

const MIME_ORDER = [
  WIDGET_MIME,
  'text/html',
  'image/svg+xml',
  'image/png',
  'image/jpeg',
  'image/gif',
  'text/markdown',
  'text/latex',
  'application/json',
  'text/plain',
];

function ansiToHtml(text: string): string {
  const ansi = new AnsiUp();
  ansi.use_classes = true;
  return ansi.ansi_to_html(text); // escapes HTML first, then adds colour spans
}

/**
 * ansi_up escapes the text and adds class-only spans — safe as it is. Two of its outputs are not:
 * 24-bit colours come as style attributes (refused by the CSP) and OSC 8 hyperlinks as plain
 * `<a href>`; those rare blocks go through the sanitizer, the common ones skip its cost.
 */
function textBlock(text: string, className: string): HTMLElement {
  const pre = h('pre', { class: className });
  const html = ansiToHtml(text);
  if (/<a |style="/.test(html)) pre.append(sanitizeHtml(html));
  else pre.innerHTML = html;
  return pre;
}

function dataString(value: JSONValue | undefined): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((part) => (typeof part === 'string' ? part : '')).join('');
  return '';
}

function renderMime(mime: string, value: JSONValue, renderWidget: WidgetRenderer | undefined): HTMLElement {
  switch (mime) {
    case WIDGET_MIME: {
      const host = h('div', { class: 'widget-host' });
      const modelId = typeof value === 'object' && value !== null && !Array.isArray(value) ? value['model_id'] : undefined;
      if (typeof modelId !== 'string' || !renderWidget) {
        host.append(h('span', { class: 'widget-placeholder' }, 'Widget cannot be shown here.'));
      } else {
        renderWidget(modelId, host);
      }
      return host;
    }
    case 'text/html': {
      const element = h('div', { class: 'html-output' });
      element.append(sanitizeHtml(dataString(value)));
      return element;
    }
    case 'image/svg+xml': {
      const element = h('div', { class: 'svg-output' });
      element.append(sanitizeSvg(dataString(value)));
      return element;
    }
    case 'image/png':
    case 'image/jpeg':
    case 'image/gif':
      return h('img', { src: `data:${mime};base64,${dataString(value).replace(/\s/g, '')}`, alt: 'output image' });
    case 'text/markdown': {
      const element = h('div', { class: 'markdown-output rendered-markdown' });
      element.append(renderMarkdown(dataString(value)));
      return element;
    }
    case 'text/latex':
      return renderLatex(dataString(value));
    case 'application/json':
      return h('pre', { class: 'json-output' }, JSON.stringify(value, null, 2));
    default:
      return textBlock(dataString(value), 'text-output');
  }
}

export function renderOutput(output: Output, renderWidget?: WidgetRenderer): HTMLElement {
  const wrapper = h('div', { class: `output output-${output.output_type}` });
  switch (output.output_type) {
    case 'stream':
      wrapper.classList.add(`stream-${output.name}`);
      wrapper.append(textBlock(joinMultiline(output.text), 'stream'));
      break;
    case 'error':
      wrapper.append(textBlock(output.traceback.length ? output.traceback.join('\n') : `${output.ename}: ${output.evalue}`, 'traceback'));
      break;
    case 'display_data':
    case 'execute_result': {
      const data = output.data ?? {};
      const mime = MIME_ORDER.find((type) => type in data) ?? Object.keys(data).find((type) => type.startsWith('text/'));
      const value = mime ? data[mime] : undefined;
      if (mime && value !== undefined) {
        wrapper.append(renderMime(mime, value, renderWidget));
      } else {
        wrapper.append(h('span', { class: 'unsupported' }, `No renderer for ${Object.keys(data).join(', ') || 'empty output'}`));
      }
      break;
    }
    default:
      wrapper.append(h('span', { class: 'unsupported' }, 'Unknown output'));
  }
  const metadata = 'metadata' in output ? output.metadata : undefined;
  const cohort = metadata?.['cohort'];
  // The server's marker for a cell whose outputs hit the size cap (its text says what happened).
  if (typeof cohort === 'object' && cohort !== null && !Array.isArray(cohort) && cohort['truncated']) {
    wrapper.classList.add('truncation-marker');
  }
  return wrapper;
}
