// Where a kernel environment keeps widget front ends: derived from its kernelspec the way Jupyter
// derives data dirs from an environment (server/widgets/dataDirs.ts).
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { KernelSpec } from '../../../server/kernels/kernelspec.ts';
import { kernelEnvironmentDataDirs, widgetDataDirs } from '../../../server/widgets/dataDirs.ts';

const spec = (argv0: string, env: Record<string, string> = {}): KernelSpec => ({
  name: 'python3',
  resourceDir: '/k',
  argv: [argv0, '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
  displayName: 'Python 3',
  language: 'python',
  interruptMode: 'signal',
  env,
  metadata: {},
});

describe('kernel environment data dirs', () => {
  it("reads JUPYTER_PATH, the PYTHONPATH entries' prefixes and the interpreter's prefix, in that order", () => {
    assert.deepEqual(
      kernelEnvironmentDataDirs(
        spec('/usr/bin/python3', {
          JUPYTER_PATH: '/j1:/j2',
          PYTHONPATH: '/p/.python/dist-packages:/q/lib/python3.11/site-packages:/r/src',
        }),
      ),
      ['/j1', '/j2', '/p/.python/share/jupyter', '/q/share/jupyter', '/usr/share/jupyter'],
    );
  });

  it("takes a virtual environment's prefix from its interpreter's path, and nothing from a bare command", () => {
    assert.deepEqual(kernelEnvironmentDataDirs(spec('/srv/venv/bin/python')), ['/srv/venv/share/jupyter']);
    assert.deepEqual(kernelEnvironmentDataDirs(spec('python3')), []);
  });

  it('keeps the dirs that exist, each once, --widget-data-dirs first and the system dirs last', async () => {
    const root = join(tmpdir(), `cohort-datadirs-${process.pid}`);
    const [extra, env, system, missing] = ['extra', 'env/share/jupyter', 'system', 'missing'].map((d) => join(root, d));
    for (const dir of [extra!, env!, system!]) mkdirSync(dir, { recursive: true });
    try {
      const dirs = await widgetDataDirs([spec(join(root, 'env', 'bin', 'python')), spec(join(root, 'env', 'bin', 'python3'))], {
        extraDirs: [extra!, missing!],
        env: { HOME: join(root, 'home') },
        systemDirs: [system!],
      });
      assert.deepEqual(dirs, [extra, env, system]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
