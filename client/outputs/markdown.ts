// Markdown (cells and text/markdown outputs) → sanitized DOM. `$…$` / `$$…$$` math goes through KaTeX.
import { Marked } from 'marked';
import katex from 'katex';
import { sanitizeHtml } from './sanitize.ts';

const marked = new Marked({ gfm: true, breaks: false, async: false });

function renderMath(tex: string, displayMode: boolean): string {
  return katex.renderToString(tex, { displayMode, throwOnError: false, trust: false });
}

// Math is replaced by placeholders before markdown sees it, so `_` and `*` inside formulas stay intact.
function protectMath(source: string): { text: string; math: string[] } {
  const math: string[] = [];
  const text = source.replace(/\$\$([\s\S]+?)\$\$|\$([^$\n]+?)\$/g, (_match, display: string | undefined, inline: string | undefined) => {
    math.push(display !== undefined ? renderMath(display, true) : renderMath(inline ?? '', false));
    return `@@MATH${math.length - 1}@@`;
  });
  return { text, math };
}

export function renderMarkdown(source: string): DocumentFragment {
  const { text, math } = protectMath(source);
  const html = (marked.parse(text) as string).replace(/@@MATH(\d+)@@/g, (_m, index: string) => math[Number(index)] ?? '');
  return sanitizeHtml(html);
}

export function renderLatex(source: string): HTMLElement {
  const element = document.createElement('div');
  const trimmed = source.trim();
  const display = /^\$\$([\s\S]*)\$\$$/.exec(trimmed) ?? /^\\\[([\s\S]*)\\\]$/.exec(trimmed);
  const inline = /^\$([\s\S]*)\$$/.exec(trimmed);
  const tex = display?.[1] ?? inline?.[1] ?? trimmed;
  // KaTeX escapes its input; its output carries no script. Sanitizing keeps that true if it changes.
  element.append(sanitizeHtml(renderMath(tex, !inline || Boolean(display))));
  return element;
}
