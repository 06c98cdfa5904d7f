// Standalone HTML export. The page is meant to be served with EXPORT_CSP, which forbids every
// script and every load except inline styles and data: images; the content is also built so that
// it would be safe without it (escaped sources, sandboxed frames for kernel HTML).
import type { Cell, Notebook } from '../../shared/nbformat.ts';
import { escapeHtml, joinMultiline, notebookLanguage } from './common.ts';
import { outputToHtml } from './htmlOutputs.ts';
import { renderMarkdown } from './markdownHtml.ts';

/**
 * Content-Security-Policy for the html export. `sandbox` gives the page an opaque origin with no
 * scripts, so even a flaw in escaping cannot act as the Cohort origin; `frame-src` admits the
 * srcdoc frames of outputs.
 */
export const EXPORT_CSP =
  "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'";

/**
 * The same policy inside the page, for when the downloaded file is opened from disk (no headers
 * then): a `<meta>` policy cannot sandbox, but it still keeps the page and its srcdoc frames (which
 * inherit it) from loading anything from elsewhere — an image in someone's output would otherwise
 * tell its author who opened the file, and when.
 */
export const EXPORT_META_CSP = EXPORT_CSP.replace(/^sandbox; /, '');

const PAGE_STYLE = `
body{margin:0;background:#fff;color:#111;font:15px/1.5 system-ui,sans-serif}
main{max-width:960px;margin:0 auto;padding:24px 16px}
.cell{margin:0 0 12px}
.prompt{color:#307fc1;font:12px ui-monospace,monospace;margin-bottom:2px}
pre{margin:0;padding:8px;overflow-x:auto;font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre-wrap;word-break:break-word}
pre.source{background:#f5f5f5;border:1px solid #e0e0e0;border-radius:4px}
.outputs{padding-left:8px;border-left:3px solid #eee;margin-top:4px}
.output{margin:4px 0}
pre.stderr{background:#fdd}
pre.error{background:#fdd}
.output-frame{display:block;width:100%;border:0;resize:vertical;overflow:auto}
.output img{max-width:100%}
.markdown-cell img{max-width:100%}
.raw-cell pre{color:#555}
`;

function codeCell(cell: Extract<Cell, { cell_type: 'code' }>, language: string): string {
  const count = cell.execution_count ?? ' ';
  const outputs = cell.outputs.map(outputToHtml).join('');
  return (
    `<section class="cell code-cell" id="cell-${escapeHtml(cell.id ?? '')}">` +
    `<div class="prompt">In [${count}]:</div>` +
    `<pre class="source"><code class="language-${language}">${escapeHtml(joinMultiline(cell.source))}</code></pre>` +
    (outputs ? `<div class="outputs">${outputs}</div>` : '') +
    `</section>`
  );
}

function cellToHtml(cell: Cell, language: string): string {
  switch (cell.cell_type) {
    case 'code':
      return codeCell(cell, language);
    case 'markdown':
      return `<section class="cell markdown-cell">${renderMarkdown(joinMultiline(cell.source), cell.attachments)}</section>`;
    case 'raw':
      return `<section class="cell raw-cell"><pre>${escapeHtml(joinMultiline(cell.source))}</pre></section>`;
  }
}

export function notebookToHtml(nb: Notebook, title: string): string {
  const language = notebookLanguage(nb);
  return (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(EXPORT_META_CSP)}">\n` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    `<title>${escapeHtml(title)}</title>\n<style>${PAGE_STYLE}</style>\n</head>\n<body>\n<main class="notebook">\n` +
    nb.cells.map((cell) => cellToHtml(cell, language)).join('\n') +
    '\n</main>\n</body>\n</html>\n'
  );
}
