// CSS written by someone else (style attributes, <style> elements, widget style traits), made safe
// to apply: no declaration may load anything, and a stylesheet only reaches the elements of its own
// output. The page's CSP refuses <style> elements without its nonce, so an output's stylesheet is
// applied as a constructed stylesheet (CSSOM), scoped to that output — this file is the policy.

/**
 * Functions that fetch (url, image-set, src…) or pull values from elsewhere (var, env, attr) are
 * refused, and so is every declaration that uses one: the CSP would block the fetch too, but a
 * blocked declaration is better than a blocked request. Values are checked as the CSSOM serializes
 * them, so escapes in the source (`u\72l(`) are already resolved.
 */
const FETCHING_FUNCTION = /(?:url|image-set|image|cross-fade|element|src|paint|var|env|attr|expression)\s*\(/i;

export function isSafeCssValue(value: string): boolean {
  return !FETCHING_FUNCTION.test(value);
}

function safeDeclarations(style: CSSStyleDeclaration): string {
  const kept: string[] = [];
  for (let i = 0; i < style.length; i++) {
    const name = style.item(i);
    // Custom properties only matter through var(), which is refused; they are dropped with it.
    if (name.startsWith('--')) continue;
    const value = style.getPropertyValue(name);
    if (!isSafeCssValue(value)) continue;
    kept.push(`${name}: ${value}${style.getPropertyPriority(name) ? ' !important' : ''};`);
  }
  return kept.join(' ');
}

/** An untrusted `style` attribute's value with every declaration that fetches removed. */
export function safeStyleText(css: string): string {
  const scratch = document.createElement('div').style;
  scratch.cssText = css;
  return safeDeclarations(scratch);
}

/**
 * Rebuilds the rules we keep from their CSSOM form, so the text we produce is the browser's own
 * serialization (balanced, nothing smuggled). Kept: style rules (nested ones too), @media and
 * @supports around them. Dropped: @import (cannot be honoured in a constructed sheet anyway),
 * @font-face (remote fonts), @keyframes, @property, @counter-style and @layer (page-wide names an
 * output could shadow the page's own with), and everything else.
 */
function keptRules(rules: CSSRuleList): string {
  const kept: string[] = [];
  for (const rule of rules) {
    if (rule instanceof CSSStyleRule) {
      const body = `${safeDeclarations(rule.style)} ${keptRules(rule.cssRules)}`.trim();
      if (body) kept.push(`${rule.selectorText} { ${body} }`);
    } else if (rule instanceof CSSMediaRule || rule instanceof CSSSupportsRule) {
      const inner = keptRules(rule.cssRules);
      if (inner) kept.push(`${rule instanceof CSSMediaRule ? '@media' : '@supports'} ${rule.conditionText} { ${inner} }`);
    }
  }
  return kept.join('\n');
}

let scopeCount = 0;

/**
 * An output's stylesheet, scoped with `@scope` to the element carrying `data-style-scope` (the
 * whole output): its selectors match nothing outside, whatever they say (`body`, `#topbar`,
 * `:has()`…). Browsers without `@scope` drop the rule — the output is unstyled, not unscoped.
 */
export function scopedStyleSheet(css: string): { sheet: CSSStyleSheet; scope: string } | undefined {
  const parsed = new CSSStyleSheet();
  parsed.replaceSync(css);
  const rules = keptRules(parsed.cssRules);
  if (!rules) return undefined;
  const scope = `s${++scopeCount}`;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(`@scope ([data-style-scope="${scope}"]) {\n${rules}\n}`);
  return { sheet, scope };
}

/**
 * The wrapper of an output that brought a stylesheet: the sheet is adopted by the document while
 * the wrapper is in it, and dropped when it leaves (so a re-rendered output takes its rules along).
 * `display: contents` in style.css keeps the wrapper out of the layout.
 */
export class ScopedStyleElement extends HTMLElement {
  sheet: CSSStyleSheet | undefined;

  connectedCallback(): void {
    if (this.sheet && !document.adoptedStyleSheets.includes(this.sheet)) {
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, this.sheet];
    }
  }

  disconnectedCallback(): void {
    if (this.sheet) document.adoptedStyleSheets = document.adoptedStyleSheets.filter((sheet) => sheet !== this.sheet);
  }
}

export const SCOPED_STYLE_TAG = 'cohort-scoped-style';
if (!customElements.get(SCOPED_STYLE_TAG)) customElements.define(SCOPED_STYLE_TAG, ScopedStyleElement);
