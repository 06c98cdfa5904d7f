// Markdown → HTML for the html export, safe to place inline in the page: raw HTML in the markdown
// is shown escaped (not interpreted) and link/image URLs are limited to harmless schemes, so a
// markdown cell cannot run script or navigate the viewer anywhere unexpected.
import { Marked } from 'marked';
import type { Token } from 'marked';
import type { JSONObject } from '../../shared/nbformat.ts';
import { attachmentUri, escapeHtml } from './common.ts';

const LINK_SCHEMES = new Set(['http', 'https', 'mailto']);
const DATA_IMAGE = /^data:image\/(png|jpeg|gif|webp|svg\+xml)[;,]/i;

/** The URL when it is relative or uses an allowed scheme; `undefined` otherwise. */
export function safeUrl(href: string, kind: 'link' | 'image', attachments?: JSONObject): string | undefined {
  const attachment = attachmentUri(attachments, href);
  if (attachment) return attachment;
  // Browsers ignore control characters and whitespace inside a scheme ("java\tscript:").
  const compact = href.replace(/[\u0000-\u0020\u007f]/g, '');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(compact)?.[1]?.toLowerCase();
  if (scheme === undefined) return href;
  if (LINK_SCHEMES.has(scheme)) return href;
  if (kind === 'image' && DATA_IMAGE.test(compact)) return compact;
  return undefined;
}

function createMarked(attachments?: JSONObject): Marked {
  return new Marked({
    gfm: true,
    async: false,
    walkTokens(token: Token) {
      if (token.type === 'link' || token.type === 'image') {
        token.href = safeUrl(token.href, token.type, attachments) ?? '#';
      }
    },
    renderer: {
      html({ text }) {
        return escapeHtml(text);
      },
    },
  });
}

export function renderMarkdown(source: string, attachments?: JSONObject): string {
  return createMarked(attachments).parse(source, { async: false });
}
