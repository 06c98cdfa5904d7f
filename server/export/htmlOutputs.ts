// Outputs in the html export. Anything that is HTML from the kernel (text/html, SVG) goes into an
// `<iframe sandbox srcdoc>`: the sandbox gives it an opaque origin with scripts, forms and
// navigation disabled, so a `<script>` a notebook printed never runs as the viewer.
import { AnsiUp } from 'ansi_up';
import type { JSONObject, JSONValue, Output } from '../../shared/nbformat.ts';
import { IMAGE_MIMES, escapeHtml, imageDataUri, joinMultiline, mimeText } from './common.ts';
import { renderMarkdown } from './markdownHtml.ts';

/** Kernel text (tracebacks, colored logs) with ANSI SGR turned into inline-styled, escaped spans. */
export function ansiToHtml(text: string): string {
  const ansi = new AnsiUp();
  ansi.escape_html = true;
  return ansi.ansi_to_html(text);
}

const FRAME_DOC_STYLE =
  'body{margin:0;padding:4px;font:14px/1.4 system-ui,sans-serif;color:#111;background:#fff}' +
  'table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}';

/**
 * A sandboxed frame cannot be measured from outside (opaque origin, no scripts), so its height is
 * estimated from the content: an SVG's own height, else a row count; the reader can resize it.
 */
function estimateHeight(html: string): number {
  const svgHeight = /<svg\b[^>]*\bheight="\s*([0-9.]+)\s*(px|pt)?"/i.exec(html);
  if (svgHeight?.[1]) return Math.min(800, Math.ceil(Number(svgHeight[1]) * (svgHeight[2] === 'pt' ? 4 / 3 : 1)) + 16);
  const rows = (html.match(/<(tr|br|p|li|h[1-6]|div)\b|\n/gi) ?? []).length;
  return Math.min(600, Math.max(48, rows * 22 + 24));
}

export function sandboxedFrame(html: string, title: string): string {
  const doc = `<!DOCTYPE html><html><head><meta charset="utf-8"><style>${FRAME_DOC_STYLE}</style></head><body>${html}</body></html>`;
  return (
    `<iframe class="output-frame" sandbox="" title="${escapeHtml(title)}" ` +
    `style="height:${estimateHeight(html)}px" srcdoc="${escapeHtml(doc)}"></iframe>`
  );
}

function dimension(metadata: JSONObject, mime: string, key: 'width' | 'height'): string {
  const forMime = metadata[mime];
  const value = forMime && typeof forMime === 'object' && !Array.isArray(forMime) ? forMime[key] : undefined;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? ` ${key}="${Math.round(value)}"` : '';
}

/**
 * nbconvert's display priority, minus JavaScript and widget views (they need a live kernel), and
 * with LaTeX after plain text since this page has no MathJax to typeset it.
 */
function richOutput(data: Record<string, JSONValue>, metadata: JSONObject): string {
  const html = mimeText(data['text/html']);
  if (html !== undefined) return `<div class="output html">${sandboxedFrame(html, 'HTML output')}</div>`;
  const svg = mimeText(data['image/svg+xml']);
  if (svg !== undefined) return `<div class="output svg">${sandboxedFrame(svg, 'SVG output')}</div>`;
  for (const mime of IMAGE_MIMES) {
    const uri = imageDataUri(mime, data[mime]);
    if (uri) {
      const size = dimension(metadata, mime, 'width') + dimension(metadata, mime, 'height');
      return `<div class="output image"><img src="${escapeHtml(uri)}" alt="output"${size}></div>`;
    }
  }
  const markdown = mimeText(data['text/markdown']);
  if (markdown !== undefined) return `<div class="output markdown">${renderMarkdown(markdown)}</div>`;
  const plain = mimeText(data['text/plain']);
  if (plain !== undefined) return `<pre class="output text">${ansiToHtml(plain)}</pre>`;
  const latex = mimeText(data['text/latex']);
  if (latex !== undefined) return `<pre class="output latex">${escapeHtml(latex)}</pre>`;
  const json = data['application/json'];
  if (json !== undefined) return `<pre class="output json">${escapeHtml(JSON.stringify(json, null, 2))}</pre>`;
  return '';
}

export function outputToHtml(output: Output): string {
  switch (output.output_type) {
    case 'stream':
      return `<pre class="output stream ${output.name === 'stderr' ? 'stderr' : 'stdout'}">${ansiToHtml(joinMultiline(output.text))}</pre>`;
    case 'error': {
      const text = output.traceback.length > 0 ? output.traceback.join('\n') : `${output.ename}: ${output.evalue}`;
      return `<pre class="output error">${ansiToHtml(text)}</pre>`;
    }
    case 'display_data':
    case 'execute_result':
      return richOutput(output.data, output.metadata);
  }
}
