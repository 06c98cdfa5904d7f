// The page under test must be the current client code, not whatever dist/client holds. The build
// is cached by a hash of its inputs, and made in a temp dir then renamed, so test files running
// in parallel neither rebuild needlessly nor see a half-written build.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
const INPUTS = ['client', 'shared', 'vite.config.ts', 'package-lock.json'];

function files(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).sort().flatMap((name) => files(join(path, name)));
}

function inputsHash(): string {
  const hash = createHash('sha256');
  for (const input of INPUTS) {
    const path = join(ROOT, input);
    if (!existsSync(path)) continue;
    for (const file of files(path)) {
      hash.update(file.slice(ROOT.length));
      hash.update(readFileSync(file));
    }
  }
  return hash.digest('hex').slice(0, 16);
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Old builds (of sources that have since changed) would pile up in the temp dir. */
function removeStaleBuilds(keep: string): void {
  for (const name of readdirSync(tmpdir())) {
    const path = join(tmpdir(), name);
    if (!name.startsWith('cohort-client-') || path === keep) continue;
    if (Date.now() - statSync(path).mtimeMs > DAY_MS) rmSync(path, { recursive: true, force: true });
  }
}

/** Builds the client (or reuses a build of the same sources) and returns its directory. */
export function builtClientDir(): string {
  const target = join(tmpdir(), `cohort-client-${inputsHash()}`);
  if (existsSync(join(target, 'index.html'))) return target;
  removeStaleBuilds(target);
  const staging = `${target}.${process.pid}.tmp`;
  const result = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', staging, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`building the client failed:\n${result.stdout}\n${result.stderr}`);
  }
  try {
    renameSync(staging, target);
  } catch (error) {
    // Another test process finished the same build first; theirs is as good as ours.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(join(target, 'index.html'))) throw error;
  }
  return target;
}
