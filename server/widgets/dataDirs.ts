// The Jupyter data dirs of the kernels' environments: where a widget library installed next to a
// kernel keeps its front end (`<data dir>/nbextensions/<module>/`, `<data dir>/labextensions/…`),
// found the way Jupyter finds them (jupyter_core.paths.jupyter_path) — JUPYTER_PATH, the user's
// dir, the environment's `<sys.prefix>/share/jupyter`, the system's — but for each kernelspec's
// environment rather than the server's own, since the kernel is what imported the library.
//
// Read from the kernelspecs, never by starting their interpreters: the prefix of an interpreter
// `<prefix>/bin/python3` is `<prefix>`; a PYTHONPATH entry the kernelspec adds (`<dir>/dist-packages`,
// `<prefix>/lib/python3.X/site-packages`, as `pip install --target/--prefix` or unpacked Debian
// packages lay them out) has its data files beside it, in `<dir>/share/jupyter`.
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import type { KernelSpec } from '../kernels/kernelspec.ts';
import { DEFAULT_SYSTEM_DIRS } from '../kernels/kernelspec.ts';

/** The prefix a PYTHONPATH entry belongs to, or undefined when it does not look like one. */
function prefixOfPackagesDir(entry: string): string | undefined {
  const dir = resolve(entry);
  if (!['site-packages', 'dist-packages'].includes(basename(dir))) return undefined;
  const parent = dirname(dir);
  // <prefix>/lib/python3.X/site-packages
  if (/^python\d+(\.\d+)?$/.test(basename(parent)) && basename(dirname(parent)) === 'lib') return dirname(dirname(parent));
  // <dir>/dist-packages (an unpacked tree, pip --target's parent)
  return parent;
}

/** Candidate data dirs of one kernelspec's environment, most specific first. */
export function kernelEnvironmentDataDirs(spec: KernelSpec): string[] {
  const dirs: string[] = [];
  for (const entry of (spec.env['JUPYTER_PATH'] ?? '').split(delimiter)) if (entry) dirs.push(resolve(entry));
  for (const entry of (spec.env['PYTHONPATH'] ?? '').split(delimiter)) {
    const prefix = entry ? prefixOfPackagesDir(entry) : undefined;
    if (prefix) dirs.push(join(prefix, 'share', 'jupyter'));
  }
  const interpreter = spec.argv[0];
  if (interpreter && isAbsolute(interpreter) && basename(dirname(interpreter)) === 'bin') {
    dirs.push(join(dirname(dirname(interpreter)), 'share', 'jupyter'));
  }
  return dirs;
}

export interface DataDirOptions {
  /** Searched first (`--widget-data-dirs`). */
  extraDirs?: readonly string[];
  env?: NodeJS.ProcessEnv;
  systemDirs?: readonly string[];
}

/** Every existing data dir to look for widget front ends in, in Jupyter's order of precedence. */
export async function widgetDataDirs(specs: Iterable<KernelSpec>, options: DataDirOptions = {}): Promise<string[]> {
  const env = options.env ?? process.env;
  const candidates = [
    ...(options.extraDirs ?? []).map((d) => resolve(d)),
    ...[...specs].flatMap(kernelEnvironmentDataDirs),
    ...(env['JUPYTER_PATH'] ?? '').split(delimiter).filter(Boolean).map((d) => resolve(d)),
    env['JUPYTER_DATA_DIR'] ?? join(env['HOME'] ?? homedir(), '.local', 'share', 'jupyter'),
    ...(options.systemDirs ?? DEFAULT_SYSTEM_DIRS),
  ];
  const found: string[] = [];
  for (const dir of new Set(candidates)) {
    const info = await stat(dir).catch(() => undefined);
    if (info?.isDirectory()) found.push(dir);
  }
  return found;
}
