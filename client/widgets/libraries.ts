// Third-party widget libraries, loaded when a model first names their module. The server serves a
// library's classic nbextension bundle (`GET /widget-modules/<module>/index.js`, from the kernels'
// Jupyter data dirs: server/widgets/frontends.ts) — an AMD module, `define(['@jupyter-widgets/base'],
// factory)`, as Jupyter Notebook loads it through RequireJS. This is the small part of an AMD
// loader such bundles need: a global `define`, dependencies on the widget packages this page
// bundles (and on other libraries, loaded the same way), one script per module.
//
// Under the page's CSP: the bundle is a same-origin script (`script-src 'self'`); none needs eval.
// A library's own stylesheet, inserted while its module is being defined (webpack's style-loader
// appends a <style> to <head>), takes the page's style nonce: the library is software the server
// installed, trusted like the page's own bundle. Any <style> inserted at another time — a view
// rendering a model's state, say — still has none, and the CSP refuses it.
import { serverPath } from '../baseUrl.ts';
import { styleNonce } from '../cspNonce.ts';

type ModuleExports = Readonly<Record<string, unknown>>;

/** npm package names, as the server accepts them (server/widgets/frontends.ts). */
const MODULE_NAME = /^(?:@[A-Za-z0-9~-][A-Za-z0-9._~-]*\/)?[A-Za-z0-9~-][A-Za-z0-9._~-]*$/;

/** A library the server does not have: the model shows this message in its place. */
export class MissingWidgetLibraryError extends Error {}

interface AmdDefine {
  (...args: unknown[]): void;
  amd: object;
}

declare global {
  interface Window {
    define?: AmdDefine;
  }
}

export class WidgetLibraries {
  private readonly modules = new Map<string, Promise<ModuleExports>>();
  /** Definitions made while a module's script ran, by module name. */
  private readonly definitions = new Map<string, Promise<ModuleExports>>();

  /** @param provided the modules the page bundles, by name (`@jupyter-widgets/base`, …). */
  constructor(private readonly provided: Readonly<Record<string, ModuleExports>>) {
    const define = ((...args: unknown[]) => this.define(args)) as AmdDefine;
    define.amd = {};
    window.define = define;
  }

  /** The exports of a module: bundled with the page, or a library's bundle from the server. */
  load(name: string, version: string): Promise<ModuleExports> {
    if (Object.hasOwn(this.provided, name)) return Promise.resolve(this.provided[name]!);
    let module = this.modules.get(name);
    if (!module) {
      module = this.fetch(name, version);
      this.modules.set(name, module);
    }
    return module;
  }

  private async fetch(name: string, version: string): Promise<ModuleExports> {
    const missing = () =>
      new MissingWidgetLibraryError(
        `This widget needs the front end of ${JSON.stringify(name.slice(0, 80))} ${JSON.stringify(version.slice(0, 40))}, ` +
          'which is not installed on this server.',
      );
    if (!MODULE_NAME.test(name)) throw missing();
    const url = serverPath(`/widget-modules/${name.split('/').map(encodeURIComponent).join('/')}/index.js`);
    await new Promise<void>((resolve, reject) => {
      const script = document.createElement('script');
      script.src = url;
      script.async = true;
      script.dataset['widgetModule'] = name;
      script.addEventListener('load', () => resolve(), { once: true });
      script.addEventListener('error', () => reject(missing()), { once: true });
      document.head.append(script);
    });
    const defined = this.definitions.get(name);
    if (!defined) throw new Error(`the front end of ${JSON.stringify(name)} did not define its module`);
    return defined;
  }

  /** AMD `define([name,] [deps,] factory)`, called by a library's script as it runs. */
  private define(args: unknown[]): void {
    const current = document.currentScript instanceof HTMLScriptElement ? document.currentScript.dataset['widgetModule'] : undefined;
    const name = typeof args[0] === 'string' ? (args.shift() as string) : current;
    const deps = Array.isArray(args[0]) ? (args.shift() as unknown[]) : ['require', 'exports', 'module'];
    const factory = args[0];
    if (!name) {
      console.error('define() called outside a widget library script; ignored');
      return;
    }
    const definition = this.resolve(name, deps, factory);
    definition.catch(() => undefined); // reported when the module is asked for
    this.definitions.set(name, definition);
    // A bundle may define its module under its own name while loaded for another (or for none).
    if (!this.modules.has(name)) this.modules.set(name, definition);
  }

  private async resolve(name: string, deps: unknown[], factory: unknown): Promise<ModuleExports> {
    const exports: Record<string, unknown> = {};
    const module = { exports };
    const values = await Promise.all(
      deps.map((dep): unknown => {
        if (dep === 'exports') return exports;
        if (dep === 'module') return module;
        if (dep === 'require') {
          return (id: string) => {
            throw new Error(`${name}: require(${JSON.stringify(id)}) at run time is not supported`);
          };
        }
        if (typeof dep !== 'string') throw new Error(`${name}: a dependency that is not a module name`);
        return this.load(dep, '*');
      }),
    );
    if (typeof factory !== 'function') return (factory ?? module.exports) as ModuleExports;
    const result: unknown = withStyleNonce(() => (factory as (...a: unknown[]) => unknown)(...values));
    return (result ?? module.exports) as ModuleExports;
  }
}

/** Runs `define`'s factory with <style> elements appended to <head> meanwhile stamped with the page's nonce. */
function withStyleNonce<T>(run: () => T): T {
  const head = document.head;
  const nonce = styleNonce();
  const stamp = <N extends Node>(node: N): N => {
    if (node instanceof HTMLStyleElement && nonce && !node.nonce) node.nonce = nonce;
    return node;
  };
  const appendChild = head.appendChild;
  const insertBefore = head.insertBefore;
  head.appendChild = function <N extends Node>(this: HTMLHeadElement, node: N): N {
    return appendChild.call(this, stamp(node)) as N;
  };
  head.insertBefore = function <N extends Node>(this: HTMLHeadElement, node: N, child: Node | null): N {
    return insertBefore.call(this, stamp(node), child) as N;
  };
  try {
    return run();
  } finally {
    // Own properties shadowed the prototype's methods; removing them restores those.
    delete (head as Partial<Pick<HTMLHeadElement, 'appendChild' | 'insertBefore'>>).appendChild;
    delete (head as Partial<Pick<HTMLHeadElement, 'appendChild' | 'insertBefore'>>).insertBefore;
  }
}
