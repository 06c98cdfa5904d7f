// Markdown (cells and text/markdown outputs) → sanitized DOM. `$…$` / `$$…$$` math goes through KaTeX
// (with `trust: false`: no \href, \url, \includegraphics or \htmlStyle), and its output through the
// same sanitizer as everything else.
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

/** `$$…$$`, `\[…\]`, `\(…\)` and `$…$` in text, as MathJax finds them in an HTMLMath widget. */
const MATH_IN_TEXT = /\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\]|\\\(([\s\S]+?)\\\)|\$([^$\n]+?)\$/g;

/**
 * Typesets the math in the text of already sanitized DOM (the HTMLMath widget): each formula is
 * replaced by KaTeX's rendering. Text in code, pre, textarea and SVG is left alone.
 */
export function typesetMath(root: Node): void {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const texts: Text[] = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement?.closest('code, pre, textarea, svg')) texts.push(node as Text);
  }
  for (const text of texts) {
    const value = text.data;
    const parts: (string | Node)[] = [];
    let last = 0;
    for (const match of value.matchAll(MATH_IN_TEXT)) {
      const [whole, display, bracket, paren, inline] = match;
      parts.push(value.slice(last, match.index));
      const tex = display ?? bracket ?? paren ?? inline ?? '';
      parts.push(sanitizeHtml(renderMath(tex, display !== undefined || bracket !== undefined)));
      last = match.index + whole.length;
    }
    if (parts.length === 0) continue;
    parts.push(value.slice(last));
    text.replaceWith(...parts);
  }
}
