// Everything from a kernel or a co-author is untrusted: no scripts, no event handlers, no
// javascript: URLs, no frames. DOMPurify does the parsing; this file only sets its policy.
import DOMPurify from 'dompurify';

const purify = DOMPurify(window);
purify.addHook('afterSanitizeAttributes', (node) => {
  // Links open elsewhere and cannot reach back into this page through window.opener.
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

const FORBID_TAGS = ['script', 'iframe', 'object', 'embed', 'form', 'base', 'meta', 'link'];

export function sanitizeHtml(html: string): DocumentFragment {
  return purify.sanitize(html, { RETURN_DOM_FRAGMENT: true, FORBID_TAGS });
}

export function sanitizeSvg(svg: string): DocumentFragment {
  return purify.sanitize(svg, { RETURN_DOM_FRAGMENT: true, USE_PROFILES: { svg: true, svgFilters: true }, FORBID_TAGS });
}

/** For strings rendered by our own libraries from untrusted input (marked output). */
export function sanitizeToString(html: string): string {
  return purify.sanitize(html, { FORBID_TAGS });
}
