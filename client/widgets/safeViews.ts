// The widget views that, as @jupyter-widgets/controls 5 ships them, let a widget's state (written
// by a kernel or by anyone who can edit the document) run script or fetch from elsewhere; each is
// replaced here by a subclass that renders through the page's sanitizer (README, "In the browser").
// Audited sinks: HTMLView and HTMLMathView (`innerHTML = value`), descriptions with
// `description_allow_html` (the manager's inline_sanitize, see manager.ts), Image/Video/Audio with
// `format='url'` (any URL), Layout and style traits (CSS values, url() included), and the error view
// (model and view names into innerHTML). Everything else sets text, titles or escaped HTML.
import * as base from '@jupyter-widgets/base';
import * as controls from '@jupyter-widgets/controls';
import { typesetMath } from '../outputs/markdown.ts';
import { sanitizeHtml } from '../outputs/sanitize.ts';
import { isSafeCssValue } from '../outputs/untrustedCss.ts';

function stringValue(model: base.WidgetModel): string {
  const value: unknown = model.get('value');
  return typeof value === 'string' ? value : '';
}

export class SafeHTMLView extends controls.HTMLView {
  override update(): void {
    this.content.replaceChildren(sanitizeHtml(stringValue(this.model)));
    controls.StringView.prototype.update.call(this);
  }
}

/** HTMLMath typesets with KaTeX (the page's math renderer) where Jupyter uses MathJax. */
export class SafeHTMLMathView extends controls.HTMLMathView {
  override update(): void {
    const fragment = sanitizeHtml(stringValue(this.model));
    typesetMath(fragment);
    this.content.replaceChildren(fragment);
    controls.StringView.prototype.update.call(this);
  }
}

const INLINE_MEDIA_URL = /^\s*data:(?:image|audio|video)\//i;

/** The URL of a `format='url'` media widget when it points anywhere but inline data; else undefined. */
function foreignUrl(model: base.WidgetModel): string | undefined {
  if (model.get('format') !== 'url') return undefined;
  const value: unknown = model.get('value');
  const url = ArrayBuffer.isView(value) || value instanceof ArrayBuffer ? new TextDecoder().decode(value) : '';
  return INLINE_MEDIA_URL.test(url) ? undefined : url;
}

/**
 * A media view's update: a foreign URL is not loaded (the element says what was blocked, and only the
 * DOM view's own update runs); inline data goes through the view's normal update.
 */
function updateMedia(view: base.DOMWidgetView & { el: HTMLImageElement | HTMLMediaElement }, normalUpdate: () => void): void {
  const url = foreignUrl(view.model);
  if (url === undefined) return normalUpdate();
  view.el.removeAttribute('src');
  view.el.title = `External media not loaded: ${url}`;
  if (view.el instanceof HTMLImageElement) view.el.alt = '[external image not loaded]';
  base.DOMWidgetView.prototype.update.call(view);
}

export class SafeImageView extends controls.ImageView {
  override update(): void {
    updateMedia(this, () => super.update());
  }
}

export class SafeVideoView extends controls.VideoView {
  override update(): void {
    updateMedia(this, () => super.update());
  }
}

export class SafeAudioView extends controls.AudioView {
  override update(): void {
    updateMedia(this, () => super.update());
  }
}

/** A CSS trait's value as a view may apply it: a string that could fetch is dropped. */
function safeCssTrait(value: unknown): unknown {
  return typeof value === 'string' && !isSafeCssValue(value) ? null : value;
}

/** Layout traits are CSS values set on the view's element. */
export class SafeLayoutView extends base.LayoutView {
  override handleChange(trait: string, value: unknown): void {
    super.handleChange(trait, safeCssTrait(value));
  }
}

/** Style traits (e.g. HTMLStyle's `background`) likewise. */
export class SafeStyleView extends base.StyleView {
  override handleChange(trait: string, value: unknown): void {
    super.handleChange(trait, safeCssTrait(value));
  }
}

/**
 * @jupyter-widgets/base's error view (shown when a model or view class cannot be loaded or
 * rendered) writes its message and stack into innerHTML when clicked, and the message names the
 * classes the document asked for. The base manager creates it directly, so it cannot be swapped
 * like the views above; its render is replaced by one that sets text.
 */
export function installTextOnlyErrorView(): void {
  base.ErrorWidgetView.prototype.render = function render(this: base.ErrorWidgetView): void {
    const { msg, stack } = this.generateErrorMessage();
    // The model's error says what is missing (a library not installed: its package and version).
    const error: unknown = this.model.get('error');
    const text = document.createElement('span');
    text.className = 'widget-placeholder';
    text.textContent = (error instanceof Error ? error.message : msg) || 'This widget cannot be shown.';
    text.title = stack;
    this.el.classList.add('jupyter-widgets', 'widget-error');
    this.el.replaceChildren(text);
  };
}
