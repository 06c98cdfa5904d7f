// An ipywidgets 8 manager whose models live in a Yjs map (one per scope: my private document's
// `widgets` or the shared document's). Models are created from the document, never from a kernel
// comm; each gets a YjsComm. See /work/shared/notes/widgets-in-the-browser.md for the gotchas.
import type * as Y from 'yjs';
import { ManagerBase } from '@jupyter-widgets/base-manager';
import * as base from '@jupyter-widgets/base';
import * as controls from '@jupyter-widgets/controls';
import * as output from '@jupyter-widgets/output';
import { Widget } from '@lumino/widgets';
import { MessageLoop } from '@lumino/messaging';
import '@jupyter-widgets/base/css/index.css';
import '@jupyter-widgets/controls/css/widgets.css';
import type { Output } from '../../shared/nbformat.ts';
import { widgetState } from '../../shared/schema.ts';
import { renderOutput, WIDGET_RELEASE_EVENT } from '../outputs/renderOutput.ts';
import { sanitizeHtmlToString } from '../outputs/sanitize.ts';
import { YjsComm, stateForWidget, type CommContext } from './comm.ts';
import type { WidgetLibraries } from './libraries.ts';
import { CohortOutputView, type OutputRenderer } from './outputView.ts';
import {
  installTextOnlyErrorView,
  SafeAudioView,
  SafeHTMLMathView,
  SafeHTMLView,
  SafeImageView,
  SafeLayoutView,
  SafeStyleView,
  SafeVideoView,
} from './safeViews.ts';

type WidgetClass = typeof base.WidgetModel | typeof base.WidgetView;

/**
 * The modules bundled with the page; the views that would render unsanitized are replaced
 * (safeViews.ts). Third-party libraries depend on these same objects (libraries.ts).
 */
export const BUNDLED_MODULES: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  '@jupyter-widgets/base': { ...base, LayoutView: SafeLayoutView, StyleView: SafeStyleView },
  '@jupyter-widgets/controls': {
    ...controls,
    HTMLView: SafeHTMLView,
    HTMLMathView: SafeHTMLMathView,
    ImageView: SafeImageView,
    VideoView: SafeVideoView,
    AudioView: SafeAudioView,
  },
  '@jupyter-widgets/output': { ...output, OutputView: CohortOutputView },
};

installTextOnlyErrorView();

function isWidgetClass(value: unknown): value is WidgetClass {
  return typeof value === 'function' && (value.prototype instanceof base.WidgetModel || value.prototype instanceof base.WidgetView);
}

/** A name from the document, fit for a message: no markup, bounded length. */
function printable(name: string): string {
  return JSON.stringify(name.slice(0, 80));
}

export const MISSING_MODEL_TEXT = 'Widget not available — its kernel may have restarted; run the cell again.';

function placeholder(text: string): HTMLElement {
  const span = document.createElement('span');
  span.className = 'widget-placeholder';
  span.textContent = text;
  return span;
}

/** Widget.attach needs a host in the document; outputs are built before they are inserted. */
function attach(widget: Widget, host: HTMLElement): void {
  if (host.isConnected) {
    Widget.attach(widget, host);
    return;
  }
  MessageLoop.sendMessage(widget, Widget.Msg.BeforeAttach);
  host.append(widget.node);
  MessageLoop.sendMessage(widget, Widget.Msg.AfterAttach);
}

export interface YjsWidgetManagerOptions extends CommContext {
  /** modelId → model (shared or private document's `widgets`). */
  widgets: Y.Map<Y.Map<unknown>>;
  /** Where a module's classes come from: the page's bundle, or a library's front end from the server. */
  libraries: WidgetLibraries;
}

export class YjsWidgetManager extends ManagerBase implements OutputRenderer {
  private readonly comms = new Map<string, { comm: YjsComm; model: Y.Map<unknown> }>();
  private readonly waiting = new Map<string, Set<HTMLElement>>();
  private readonly observer: (event: Y.YMapEvent<Y.Map<unknown>>) => void;

  constructor(private readonly options: YjsWidgetManagerOptions) {
    super();
    this.observer = (event) => {
      for (const key of event.keysChanged as Set<string>) this.sync(key);
    };
    options.widgets.observe(this.observer);
    for (const key of options.widgets.keys()) this.sync(key);
  }

  /** Brings one model in line with the document: created, replaced, or closed. */
  private sync(modelId: string): void {
    const ymodel = this.options.widgets.get(modelId);
    const known = this.comms.get(modelId);
    if (known && known.model === ymodel) return;
    if (known) {
      this.comms.delete(modelId);
      known.comm.closeFromRemote();
    }
    if (!ymodel) return;
    const comm = new YjsComm(modelId, ymodel, this.options);
    this.comms.set(modelId, { comm, model: ymodel });
    // new_model with our comm (gotcha 2) and never new_widget, which would echo the full state (gotcha 3).
    this.new_model(
      {
        model_id: modelId,
        model_name: String(ymodel.get('model_name')),
        model_module: String(ymodel.get('model_module')),
        model_module_version: String(ymodel.get('model_module_version') ?? ''),
        comm,
      },
      stateForWidget(widgetState(ymodel)),
    ).catch((error: unknown) => this.options.reportError(`creating widget model ${modelId}`, error));
    const hosts = this.waiting.get(modelId);
    this.waiting.delete(modelId);
    for (const host of hosts ?? []) if (host.isConnected) this.renderView(modelId, host);
  }

  /** Renders a view of the model into `host`, or a placeholder while it does not exist. */
  renderView(modelId: string, host: HTMLElement): void {
    if (!this.comms.has(modelId)) {
      host.replaceChildren(placeholder(MISSING_MODEL_TEXT));
      const hosts = this.waiting.get(modelId) ?? new Set<HTMLElement>();
      hosts.add(host);
      this.waiting.set(modelId, hosts);
      return;
    }
    host.replaceChildren(placeholder('Loading widget…'));
    // The output may leave the page before the view is ready; then it is never attached.
    let released = false;
    host.addEventListener(WIDGET_RELEASE_EVENT, () => (released = true), { once: true });
    const show = async () => {
      const model = await this.get_model(modelId);
      const view = await this.create_view(model);
      if (released) {
        view.remove();
        return;
      }
      host.replaceChildren();
      attach(view.luminoWidget, host);
      // Lumino throws when disposing an attached widget whose node is gone, so the view is
      // always detached while its node is still in the page.
      const detach = () => {
        const widget = view.luminoWidget;
        if (widget.isAttached && widget.node.isConnected && !widget.parent) Widget.detach(widget);
      };
      host.addEventListener(
        WIDGET_RELEASE_EVENT,
        () => {
          detach();
          view.remove();
        },
        { once: true },
      );
      // 'comm:close' fires before the model removes its views.
      model.once('comm:close', () => {
        if (released) return;
        detach();
        host.replaceChildren(placeholder(MISSING_MODEL_TEXT));
        const hosts = this.waiting.get(modelId) ?? new Set<HTMLElement>();
        hosts.add(host);
        this.waiting.set(modelId, hosts);
      });
    };
    show().catch((error: unknown) => {
      host.replaceChildren(placeholder(`Widget cannot be shown: ${error instanceof Error ? error.message : String(error)}`));
      this.options.reportError(`rendering widget ${modelId}`, error);
    });
  }

  /** A custom message from the kernel for one of this document's models. */
  receiveCustom(modelId: string, content: unknown, buffers: readonly Uint8Array[]): void {
    this.comms.get(modelId)?.comm.receiveCustom(content, buffers);
  }

  renderOutput(value: Output): HTMLElement {
    return renderOutput(value, (modelId, host) => this.renderView(modelId, host));
  }

  protected async loadClass(className: string, moduleName: string, moduleVersion: string): Promise<WidgetClass> {
    // A library the server does not have fails here, and the model shows that (safeViews.ts).
    const module = await this.options.libraries.load(String(moduleName), String(moduleVersion ?? ''));
    // Own properties only: names come from the document, and `constructor` or `__proto__` must not
    // walk into Object or Function.
    const found = Object.hasOwn(module, className) ? module[className] : undefined;
    if (!isWidgetClass(found)) {
      throw new Error(`Widget class ${printable(className)} from ${printable(moduleName)} is not available in Cohort`);
    }
    return found;
  }

  /** Descriptions with `description_allow_html` (every control): the page's sanitizer, not sanitize-html's. */
  override inline_sanitize(source: string): string {
    return sanitizeHtmlToString(typeof source === 'string' ? source : '');
  }

  protected _create_comm(): Promise<YjsComm> {
    // Widgets are created by kernels only; the page never opens a comm of its own.
    return Promise.reject(new Error('Cohort pages cannot create widgets; run code in a kernel instead'));
  }

  protected _get_comm_info(): Promise<Record<string, never>> {
    return Promise.resolve({});
  }

  dispose(): void {
    this.options.widgets.unobserve(this.observer);
    for (const { comm } of this.comms.values()) comm.dispose();
    this.comms.clear();
    this.waiting.clear();
  }
}
