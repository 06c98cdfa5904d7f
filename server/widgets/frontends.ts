// Third-party widget front ends, as installed in the kernels' Jupyter data dirs (dataDirs.ts): a
// model whose `_model_module` is `bqplot` is rendered by the classic nbextension AMD bundle
// `<data dir>/nbextensions/bqplot/index.js` — the bundle Jupyter Notebook loads for it, which
// `define`s the module's classes against `@jupyter-widgets/base`. The page loads it on demand
// (client/widgets/libraries.ts); this finds the files it asks for.
//
// Only files inside one module's own folder are served, and only of the kinds a front end is made
// of (scripts, styles, source maps, fonts, images): a request names a module and a path, each part
// is checked against a strict alphabet, and the resolved file — symbolic links followed — must
// still be inside that folder. Nothing else under a data dir (kernelspecs, notebooks, HTML that
// would run as this origin) can be reached.
import { realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';

/** npm package names (optionally scoped): what `_model_module` holds for a third-party library. */
const MODULE_NAME = /^(?:@[A-Za-z0-9~-][A-Za-z0-9._~-]*\/)?[A-Za-z0-9~-][A-Za-z0-9._~-]*$/;
/** One path segment inside a module's folder: no dot files, no `..`, no separators. */
const SEGMENT = /^[A-Za-z0-9_~@+-][A-Za-z0-9._~@+-]*$/;

/** Content types served, by extension; any other file is not found. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
};

export function isWidgetModuleName(name: string): boolean {
  return name.length <= 214 && MODULE_NAME.test(name);
}

export interface FrontendFile {
  /** Absolute path on disk (symbolic links resolved). */
  path: string;
  contentType: string;
}

/** Splits `['@scope', 'pkg', 'index.js']` / `['pkg', 'index.js']` into module name and path inside it. */
export function splitModulePath(segments: readonly string[]): { module: string; path: string[] } | undefined {
  const scoped = segments[0]?.startsWith('@');
  const nameParts = scoped ? 2 : 1;
  if (segments.length <= nameParts) return undefined;
  const module = segments.slice(0, nameParts).join('/');
  return { module, path: segments.slice(nameParts) };
}

export class WidgetFrontends {
  constructor(
    /**
     * The data dirs, most specific first (found lazily: kernelspecs are discovered on demand);
     * `fresh` asks to look again, for a library installed since (the provider may throttle that).
     */
    private readonly dataDirs: (fresh: boolean) => Promise<readonly string[]>,
  ) {}

  /** The module's nbextension folder: the first data dir that has `nbextensions/<module>/index.js`. */
  private async folderOf(module: string): Promise<string | undefined> {
    for (const fresh of [false, true]) {
      for (const dir of await this.dataDirs(fresh)) {
        const folder = join(dir, 'nbextensions', ...module.split('/'));
        const entry = await stat(join(folder, 'index.js')).catch(() => undefined);
        if (entry?.isFile()) return folder;
      }
    }
    return undefined;
  }

  /** A file of a module's front end, or undefined when there is none such (or the request is not one). */
  async file(module: string, path: readonly string[]): Promise<FrontendFile | undefined> {
    if (!isWidgetModuleName(module) || path.length === 0 || path.length > 16 || !path.every((s) => SEGMENT.test(s) && s.length <= 255)) {
      return undefined;
    }
    const contentType = CONTENT_TYPES[extname(path[path.length - 1]!).toLowerCase()];
    if (!contentType) return undefined;
    const folder = await this.folderOf(module);
    if (!folder) return undefined;
    try {
      const root = await realpath(folder);
      const file = await realpath(join(folder, ...path));
      if (!file.startsWith(root + sep)) return undefined;
      if (!(await stat(file)).isFile()) return undefined;
      return { path: file, contentType };
    } catch {
      return undefined; // no such file
    }
  }
}
