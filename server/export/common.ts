// Helpers every export format shares: file names, line splitting, mime choice, ANSI, escaping.
import type { JSONValue, Notebook } from '../../shared/nbformat.ts';
import { joinMultiline } from '../../shared/nbformat.ts';

export { joinMultiline };

/**
 * A download file name from a notebook name: no directories, no control characters or quotes
 * (it goes into a Content-Disposition header), the extension replaced by the format's.
 */
export function exportFilename(name: string, extension: string): string {
  const base = (name.split(/[\\/]/).pop() ?? '')
    .replace(/[\u0000-\u001f\u007f"*:<>?|]/g, '')
    .replace(/\.ipynb$/i, '')
    .trim();
  return `${base.replace(/^\.+/, '') || 'notebook'}.${extension}`;
}

/** Splits text into lines that keep their `\n`, as nbformat writes multiline strings. */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** ESC [ … final byte: SGR colours and the rest of CSI, which tracebacks are full of. */
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[@-Z\\-_]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A mimebundle value as text: nbformat stores text mimes as a string or a list of lines. */
export function mimeText(value: JSONValue | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((line) => typeof line === 'string')) {
    return joinMultiline(value);
  }
  return undefined;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * A `data:` URI for a base64 image from a mimebundle; undefined when the payload is not base64,
 * so nothing crafted can break out of the attribute or URL it is placed in.
 */
export function imageDataUri(mime: string, value: JSONValue | undefined): string | undefined {
  const text = mimeText(value);
  if (text === undefined) return undefined;
  const base64 = text.replace(/\s+/g, '');
  if (!BASE64.test(base64)) return undefined;
  return `data:${mime};base64,${base64}`;
}

export const IMAGE_MIMES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;

/** The kernel's language for code fences and headers; Python when the notebook does not say. */
export function notebookLanguage(nb: Notebook): string {
  const info = nb.metadata['language_info'];
  const spec = nb.metadata['kernelspec'];
  const fromInfo = info && typeof info === 'object' && !Array.isArray(info) ? info['name'] : undefined;
  const fromSpec = spec && typeof spec === 'object' && !Array.isArray(spec) ? spec['language'] : undefined;
  const language = typeof fromInfo === 'string' ? fromInfo : typeof fromSpec === 'string' ? fromSpec : 'python';
  return language.replace(/[^A-Za-z0-9_+-]/g, '') || 'python';
}

/** Resolves `attachment:<name>` references of a markdown cell to data URIs. */
export function attachmentUri(attachments: Record<string, JSONValue> | undefined, href: string): string | undefined {
  if (!attachments || !href.startsWith('attachment:')) return undefined;
  const bundle = attachments[decodeURIComponent(href.slice('attachment:'.length))];
  if (!bundle || typeof bundle !== 'object' || Array.isArray(bundle)) return undefined;
  for (const [mime, value] of Object.entries(bundle)) {
    if (mime.startsWith('image/') && mime !== 'image/svg+xml') {
      const uri = imageDataUri(mime, value);
      if (uri) return uri;
    }
    if (mime === 'image/svg+xml') {
      const svg = mimeText(value);
      if (svg !== undefined) return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
    }
  }
  return undefined;
}
