// Markdown → HTML for the html export, safe to place inline in the page: raw HTML in the markdown
// is shown escaped (not interpreted) and link/image URLs are limited to harmless schemes, so a
// markdown cell cannot run script or navigate the viewer anywhere unexpected.
import { Marked } from 'marked';
import type { Tokens } from 'marked';
import type { JSONObject } from '../../shared/nbformat.ts';
import { attachmentUri, escapeHtml } from './common.ts';

const LINK_SCHEMES = new Set(['http', 'https', 'mailto']);
const DATA_IMAGE = /^data:image\/(png|jpeg|gif|webp|svg\+xml)[;,]/i;

/**
 * The URL when it is relative or uses an allowed scheme; `undefined` otherwise. The result is
 * written HTML-escaped into the attribute, so what is checked here is exactly what the browser
 * gets (no character reference can turn into a `javascript:` scheme afterwards).
 */
export function safeUrl(href: string, kind: 'link' | 'image', attachments?: JSONObject): string | undefined {
  const attachment = attachmentUri(attachments, href);
  if (attachment) return attachment;
  // CommonMark decodes character references in link destinations; a renderer that does would
  // turn `&#106;avascript:` into a script URL, so judge the decoded form too.
  const decoded = href.replace(/&#(x[0-9a-f]+|[0-9]+);?/gi, (_, code: string) =>
    String.fromCodePoint(Math.min(0x10ffff, code[0] === 'x' || code[0] === 'X' ? parseInt(code.slice(1), 16) : Number(code))),
  );
  if (decoded !== href && safeUrl(decoded, kind) === undefined) return undefined;
  // Browsers drop control characters and whitespace inside a scheme ("java\tscript:").
  const compact = href.replace(/[\u0000-\u0020\u007f]/g, '');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(compact)?.[1]?.toLowerCase();
  if (scheme === undefined) return /^[^/?#]*:/.test(compact) ? undefined : href;
  if (LINK_SCHEMES.has(scheme)) return href;
  if (kind === 'image' && DATA_IMAGE.test(compact)) return compact;
  return undefined;
}

function titleAttribute(title: string | null | undefined): string {
  return title ? ` title="${escapeHtml(title)}"` : '';
}

function createMarked(attachments?: JSONObject): Marked {
  return new Marked({
    gfm: true,
    async: false,
    renderer: {
      html({ text }: Tokens.HTML | Tokens.Tag) {
        return escapeHtml(text);
      },
      link(token: Tokens.Link) {
        const inner = this.parser.parseInline(token.tokens);
        const href = safeUrl(token.href, 'link', attachments);
        return href === undefined ? inner : `<a href="${escapeHtml(href)}"${titleAttribute(token.title)}>${inner}</a>`;
      },
      image(token: Tokens.Image) {
        const src = safeUrl(token.href, 'image', attachments);
        const alt = escapeHtml(token.text);
        return src === undefined ? alt : `<img src="${escapeHtml(src)}" alt="${alt}"${titleAttribute(token.title)}>`;
      },
    },
  });
}

export function renderMarkdown(source: string, attachments?: JSONObject): string {
  return createMarked(attachments).parse(source, { async: false });
}
