// Everything from a kernel or a co-author is untrusted: no scripts, no event handlers, no
// javascript: URLs, no frames, nothing fetched from anywhere, and styles that stay inside the
// output. DOMPurify does the parsing; this file sets its policy (README, "In the browser"):
//
// - Resources: only `data:` images and media render. Every other URL in an attribute that loads
//   something (src, srcset, poster, background, SVG href, CSS url()…) is removed — same-origin ones
//   too, so an output cannot make the viewer's browser call Cohort's own API. Links stay links.
// - Styles: style attributes keep only declarations that fetch nothing; <style> elements are taken
//   out (the CSP refuses them) and become a stylesheet scoped to their own output (untrustedCss.ts).
//   Layout tricks (position:fixed, huge sizes, z-index) are left to the output box's paint
//   containment (style.css), which clips them whatever they say.
import DOMPurify from 'dompurify';
import { safeStyleText, SCOPED_STYLE_TAG, scopedStyleSheet, type ScopedStyleElement } from './untrustedCss.ts';

const purify = DOMPurify(window);

const FORBID_TAGS = ['script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'portal', 'form', 'base', 'meta', 'link', 'style'];

const SCOPE_ATTRIBUTE = 'data-style-scope';

/** Attributes that fetch, submit or ping something; never kept. */
const ALWAYS_REMOVED = ['srcset', 'imagesrcset', 'background', 'lowsrc', 'dynsrc', 'longdesc', 'ping', 'action', 'formaction', 'form', 'data', 'codebase', 'archive', 'classid', 'cite', 'manifest', 'icon', 'profile'];

/** Attributes that fetch, kept only for an inline (`data:`) image or media on the elements below. */
const SOURCE_ATTRIBUTES = ['src', 'poster', 'href', 'xlink:href'];
const INLINE_SOURCE_ELEMENTS = new Set(['img', 'image', 'feimage', 'input', 'source', 'video', 'audio', 'track']);
const INLINE_MEDIA_URL = /^\s*data:(?:image|audio|video)\//i;
const LINK_ELEMENTS = new Set(['a', 'area']);
/** A CSS url() in an SVG presentation attribute (fill, filter, mask…) that is not a local `#id`. */
const FOREIGN_CSS_URL = /url\s*\(\s*['"]?\s*(?!#)/i;

/** `<style>` text met during the current sanitize call (DOMPurify's hooks are synchronous). */
let collectedCss: string[] | undefined;

purify.addHook('uponSanitizeElement', (node, data) => {
  if (data.tagName === 'style' && collectedCss) collectedCss.push(node.textContent ?? '');
});

purify.addHook('afterSanitizeAttributes', (node) => {
  const tag = node.nodeName.toLowerCase();
  if (LINK_ELEMENTS.has(tag)) {
    // Links open elsewhere and cannot reach back into this page through window.opener.
    if (node.hasAttribute('href')) {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer');
    }
  } else {
    for (const name of SOURCE_ATTRIBUTES) {
      const value = node.getAttribute(name);
      if (value === null) continue;
      const local = name !== 'src' && name !== 'poster' && value.trim().startsWith('#');
      const inline = INLINE_SOURCE_ELEMENTS.has(tag) && INLINE_MEDIA_URL.test(value);
      if (local || inline) continue;
      node.removeAttribute(name);
      if (tag === 'img') {
        node.setAttribute('title', `External image not loaded: ${value}`);
        if (!node.getAttribute('alt')) node.setAttribute('alt', '[external image not loaded]');
      }
    }
  }
  for (const name of ALWAYS_REMOVED) node.removeAttribute(name);
  for (const attribute of [...node.attributes]) {
    if (attribute.name !== 'style' && FOREIGN_CSS_URL.test(attribute.value)) node.removeAttribute(attribute.name);
  }
  // Only this file sets a scope (an author's own would be harmless, but it is ours to give).
  node.removeAttribute(SCOPE_ATTRIBUTE);
  const style = node.getAttribute('style');
  if (style !== null) {
    const safe = safeStyleText(style);
    if (safe) node.setAttribute('style', safe);
    else node.removeAttribute('style');
  }
});

type Profile = 'html' | 'svg';

function rendered(markup: string, profile: Profile): DocumentFragment {
  collectedCss = [];
  let fragment: DocumentFragment;
  let css: string[];
  try {
    fragment = purify.sanitize(markup, {
      RETURN_DOM_FRAGMENT: true,
      // A leading <style> (pandas' Styler starts with one) would otherwise be parsed into <head>.
      FORCE_BODY: true,
      FORBID_TAGS,
      ...(profile === 'svg' ? { USE_PROFILES: { svg: true, svgFilters: true } } : {}),
    });
    css = collectedCss;
  } finally {
    collectedCss = undefined;
  }
  const scoped = css.length > 0 ? scopedStyleSheet(css.join('\n')) : undefined;
  if (!scoped) return fragment;
  const wrapper = document.createElement(SCOPED_STYLE_TAG) as ScopedStyleElement;
  wrapper.sheet = scoped.sheet;
  wrapper.setAttribute(SCOPE_ATTRIBUTE, scoped.scope);
  wrapper.append(fragment);
  const result = document.createDocumentFragment();
  result.append(wrapper);
  return result;
}

/** Untrusted HTML → inert DOM. */
export function sanitizeHtml(html: string): DocumentFragment {
  return rendered(html, 'html');
}

/** Untrusted SVG → inert DOM. */
export function sanitizeSvg(svg: string): DocumentFragment {
  return rendered(svg, 'svg');
}

/**
 * For libraries that insist on assigning `innerHTML` themselves (ipywidgets' descriptions): the
 * same policy as a string; a <style> is dropped (a scoped sheet needs the element this string never
 * becomes).
 */
export function sanitizeHtmlToString(html: string): string {
  return purify.sanitize(html, { FORCE_BODY: true, FORBID_TAGS });
}
