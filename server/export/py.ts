// Python script export in the percent format (jupytext, VS Code, Spyder, PyCharm all read it):
// `# %%` starts a code cell, `# %% [markdown]` a markdown cell whose lines are commented out.
import type { Cell, JSONValue, Notebook } from '../../shared/nbformat.ts';
import { joinMultiline } from './common.ts';

/** A YAML scalar: plain when unambiguous, else double-quoted (a JSON string is valid YAML). */
function yamlScalar(value: string): string {
  return /^[A-Za-z0-9_][A-Za-z0-9_ .()+-]*$/.test(value) && !/ $/.test(value) ? value : JSON.stringify(value);
}

function commentLines(text: string): string[] {
  return text.split('\n').map((line) => (line === '' ? '#' : `# ${line}`));
}

/** jupytext's header: the kernelspec, so the script can be paired back into a notebook. */
function header(nb: Notebook): string[] {
  const spec = nb.metadata['kernelspec'];
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) return [];
  const lines = ['# ---', '# jupyter:', '#   kernelspec:'];
  for (const key of Object.keys(spec).sort()) {
    const value = spec[key];
    if (typeof value === 'string') lines.push(`#     ${key}: ${yamlScalar(value)}`);
  }
  lines.push('# ---');
  return lines;
}

/**
 * IPython magics and shell escapes are not Python; like jupytext, comment them out so the script
 * runs. A line that already looks like a cell marker must not become one.
 */
function escapeCode(source: string): string[] {
  return source.split('\n').map((line) => (/^\s*[%!]/.test(line) || /^# %%/.test(line) ? `# ${line}` : line));
}

function marker(cell: Cell): string {
  const tags: JSONValue | undefined = cell.metadata['tags'];
  const tagList = Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
  const suffix = tagList.length > 0 ? ` tags=${JSON.stringify(tagList)}` : '';
  if (cell.cell_type === 'code') return `# %%${suffix}`;
  return `# %% [${cell.cell_type}]${suffix}`;
}

export function notebookToPy(nb: Notebook): string {
  const blocks: string[] = [];
  const head = header(nb);
  if (head.length > 0) blocks.push(head.join('\n'));
  for (const cell of nb.cells) {
    const source = joinMultiline(cell.source).replace(/\r\n?/g, '\n').replace(/\n$/, '');
    const body = source === '' ? [] : cell.cell_type === 'code' ? escapeCode(source) : commentLines(source);
    blocks.push([marker(cell), ...body].join('\n'));
  }
  return `${blocks.join('\n\n')}\n`;
}
