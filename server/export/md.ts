// Markdown export: markdown cells as written, code in fenced blocks, text outputs in plain fences,
// images inline as data: URIs so the file stands alone.
import type { Cell, JSONValue, Notebook, Output } from '../../shared/nbformat.ts';
import { IMAGE_MIMES, attachmentUri, imageDataUri, joinMultiline, mimeText, notebookLanguage, stripAnsi } from './common.ts';

/** A fence longer than any backtick run inside, so the content cannot close it early. */
function fence(text: string, info = ''): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = '`'.repeat(Math.max(3, longest + 1));
  return `${ticks}${info}\n${text.replace(/\n$/, '')}\n${ticks}`;
}

function svgDataUri(svg: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}

function richOutput(data: Record<string, JSONValue>): string | undefined {
  for (const mime of IMAGE_MIMES) {
    const uri = imageDataUri(mime, data[mime]);
    if (uri) return `![output](${uri})`;
  }
  const svg = mimeText(data['image/svg+xml']);
  if (svg !== undefined) return `![output](${svgDataUri(svg)})`;
  const markdown = mimeText(data['text/markdown']);
  if (markdown !== undefined) return markdown.replace(/\n$/, '');
  const plain = mimeText(data['text/plain']);
  if (plain !== undefined) return fence(stripAnsi(plain));
  const latex = mimeText(data['text/latex']);
  if (latex !== undefined) return latex.replace(/\n$/, '');
  // HTML stays visible as source rather than being rendered by whatever views the file.
  const html = mimeText(data['text/html']);
  if (html !== undefined) return fence(html, 'html');
  return undefined;
}

function outputToMarkdown(output: Output): string | undefined {
  switch (output.output_type) {
    case 'stream':
      return fence(stripAnsi(joinMultiline(output.text)));
    case 'error':
      return fence(stripAnsi(output.traceback.join('\n')) || `${output.ename}: ${output.evalue}`);
    case 'display_data':
    case 'execute_result':
      return richOutput(output.data);
  }
}

/** `attachment:<name>` links only resolve inside Jupyter; inline them. */
function inlineAttachments(source: string, cell: Cell): string {
  if (cell.cell_type === 'code' || !cell.attachments) return source;
  let out = source;
  for (const name of Object.keys(cell.attachments)) {
    const uri = attachmentUri(cell.attachments, `attachment:${name}`);
    if (!uri) continue;
    for (const ref of new Set([`attachment:${name}`, `attachment:${encodeURIComponent(name)}`])) {
      out = out.split(ref).join(uri);
    }
  }
  return out;
}

/** nbconvert's markdown exporter keeps raw cells meant for markdown or HTML, or with no type. */
const RAW_MIMES = new Set(['', 'text/markdown', 'text/html']);

export function notebookToMarkdown(nb: Notebook): string {
  const language = notebookLanguage(nb);
  const blocks: string[] = [];
  for (const cell of nb.cells) {
    const source = joinMultiline(cell.source).replace(/\n$/, '');
    if (cell.cell_type === 'markdown') {
      if (source !== '') blocks.push(inlineAttachments(source, cell));
    } else if (cell.cell_type === 'raw') {
      const mime = cell.metadata['raw_mimetype'];
      if (source !== '' && RAW_MIMES.has(typeof mime === 'string' ? mime.toLowerCase() : '')) blocks.push(source);
    } else {
      blocks.push(fence(source, language));
      for (const output of cell.outputs) {
        const text = outputToMarkdown(output);
        if (text !== undefined && text !== '') blocks.push(text);
      }
    }
  }
  return `${blocks.join('\n\n')}\n`;
}
