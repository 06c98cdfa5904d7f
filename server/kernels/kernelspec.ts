// Kernelspec discovery as Jupyter does it: `jupyter kernelspec list --json` when a `jupyter`
// command exists (with our extra data dirs on JUPYTER_PATH), else a scan of
// `<data dir>/kernels/*/kernel.json`. Spec: jupyter-client docs, "Kernel specs".
import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, readFile, readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

import { KernelSpecNotFoundError } from './errors.ts';
import type { Logger } from './logger.ts';
import { isObject } from './messageShapes.ts';

const execFileAsync = promisify(execFile);

export type InterruptMode = 'signal' | 'message';

export interface KernelSpec {
  name: string;
  /** Directory holding kernel.json (and logos); `{resource_dir}` in argv expands to it. */
  resourceDir: string;
  argv: string[];
  displayName: string;
  language: string;
  interruptMode: InterruptMode;
  env: Record<string, string>;
  metadata: Record<string, unknown>;
}

export interface KernelSpecDiscoveryOptions {
  /** Data dirs searched first (each holds a `kernels/` folder), e.g. the project's `.jupyter`. */
  extraDirs?: string[];
  logger: Logger;
  /** Environment to read PATH / JUPYTER_PATH / HOME from; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Whether to ask the `jupyter` command (when found on PATH). Default true. */
  useJupyterCommand?: boolean;
  /** System data dirs after the user's; default `/usr/local/share/jupyter`, `/usr/share/jupyter`. */
  systemDirs?: string[];
}

export const DEFAULT_SYSTEM_DIRS = ['/usr/local/share/jupyter', '/usr/share/jupyter'];

/** Data dirs in Jupyter's precedence order: ours, $JUPYTER_PATH, the user's, the system's. */
export function dataDirs(options: KernelSpecDiscoveryOptions): string[] {
  const env = options.env ?? process.env;
  const fromEnv = (env.JUPYTER_PATH ?? '').split(delimiter).filter(Boolean);
  const home = env.HOME ?? homedir();
  const user = env.JUPYTER_DATA_DIR ?? join(home, '.local', 'share', 'jupyter');
  return [...new Set([...(options.extraDirs ?? []), ...fromEnv, user, ...(options.systemDirs ?? DEFAULT_SYSTEM_DIRS)])];
}

/** All kernelspecs by name; the first one found wins per name. */
export async function findKernelSpecs(options: KernelSpecDiscoveryOptions): Promise<Map<string, KernelSpec>> {
  if (options.useJupyterCommand !== false) {
    const jupyter = await findOnPath('jupyter', options.env ?? process.env);
    if (jupyter) {
      try {
        return await listWithJupyter(jupyter, options);
      } catch (error) {
        options.logger.warn({ err: error, jupyter }, 'jupyter kernelspec list failed; scanning kernel dirs instead');
      }
    }
  }
  return scanKernelSpecs(dataDirs(options), options.logger);
}

/** Resolves one kernelspec by name (default `python3`), or throws KernelSpecNotFoundError. */
export async function resolveKernelSpec(name: string, options: KernelSpecDiscoveryOptions): Promise<KernelSpec> {
  const spec = (await findKernelSpecs(options)).get(name);
  if (!spec) throw new KernelSpecNotFoundError(name);
  return spec;
}

export async function scanKernelSpecs(dirs: readonly string[], logger: Logger): Promise<Map<string, KernelSpec>> {
  const specs = new Map<string, KernelSpec>();
  for (const dir of dirs) {
    const kernelsDir = join(dir, 'kernels');
    let names: string[];
    try {
      names = (await readdir(kernelsDir, { withFileTypes: true })).filter((d) => d.isDirectory() || d.isSymbolicLink()).map((d) => d.name);
    } catch (error) {
      if (isNotFound(error)) continue;
      // A data dir this user may not read (the server running as a service user with root's HOME)
      // holds no kernelspec for us: the others still count.
      if (isObject(error) && error.code === 'EACCES') {
        logger.warn({ dir: kernelsDir }, 'cannot read this kernelspec folder; skipping it');
        continue;
      }
      throw error;
    }
    for (const name of names.sort()) {
      const key = name.toLowerCase();
      if (specs.has(key)) continue;
      const resourceDir = join(kernelsDir, name);
      try {
        const raw: unknown = JSON.parse(await readFile(join(resourceDir, 'kernel.json'), 'utf8'));
        specs.set(key, parseKernelSpec(key, resourceDir, raw));
      } catch (error) {
        if (isNotFound(error)) continue;
        logger.warn({ err: error, resourceDir }, 'ignoring an unreadable kernelspec');
      }
    }
  }
  return specs;
}

/** Validates a kernel.json object. */
export function parseKernelSpec(name: string, resourceDir: string, raw: unknown): KernelSpec {
  if (!isObject(raw)) throw new Error(`kernel.json of ${name} is not an object`);
  const { argv, display_name, language, interrupt_mode, env, metadata } = raw;
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string')) {
    throw new Error(`kernel.json of ${name}: argv must be a non-empty array of strings`);
  }
  if (interrupt_mode !== undefined && interrupt_mode !== 'signal' && interrupt_mode !== 'message') {
    throw new Error(`kernel.json of ${name}: interrupt_mode must be "signal" or "message"`);
  }
  if (env !== undefined && !(isObject(env) && Object.values(env).every((v) => typeof v === 'string'))) {
    throw new Error(`kernel.json of ${name}: env must map names to strings`);
  }
  return {
    name,
    resourceDir,
    argv,
    displayName: typeof display_name === 'string' ? display_name : name,
    language: typeof language === 'string' ? language : '',
    interruptMode: interrupt_mode ?? 'signal',
    env: (env as Record<string, string> | undefined) ?? {},
    metadata: isObject(metadata) ? metadata : {},
  };
}

async function listWithJupyter(jupyter: string, options: KernelSpecDiscoveryOptions): Promise<Map<string, KernelSpec>> {
  const env = options.env ?? process.env;
  const extra = options.extraDirs ?? [];
  const jupyterPath = [...extra, ...(env.JUPYTER_PATH ?? '').split(delimiter).filter(Boolean)].join(delimiter);
  const { stdout } = await execFileAsync(jupyter, ['kernelspec', 'list', '--json'], {
    env: { ...env, JUPYTER_PATH: jupyterPath },
    timeout: 15_000,
  });
  const parsed: unknown = JSON.parse(stdout);
  if (!isObject(parsed) || !isObject(parsed.kernelspecs)) throw new Error('unexpected `jupyter kernelspec list --json` output');
  const specs = new Map<string, KernelSpec>();
  for (const [name, entry] of Object.entries(parsed.kernelspecs)) {
    if (!isObject(entry) || typeof entry.resource_dir !== 'string') throw new Error(`kernelspec ${name}: no resource_dir`);
    specs.set(name, parseKernelSpec(name, entry.resource_dir, entry.spec));
  }
  return specs;
}

async function findOnPath(command: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, command);
    try {
      await access(candidate, fsConstants.X_OK);
      return candidate;
    } catch (error) {
      if (!isNotFound(error) && !(isObject(error) && error.code === 'EACCES')) throw error;
    }
  }
  return undefined;
}

function isNotFound(error: unknown): boolean {
  return isObject(error) && (error.code === 'ENOENT' || error.code === 'ENOTDIR');
}
