import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { KernelSpecNotFoundError } from '../../../server/kernels/errors.ts';
import { dataDirs, findKernelSpecs, parseKernelSpec, resolveKernelSpec } from '../../../server/kernels/kernelspec.ts';
import { expandArgv } from '../../../server/kernels/process.ts';
import { captureLogger, tempDataDir } from '../../helpers/kernel.ts';

async function writeSpec(dataDir: string, name: string, spec: unknown): Promise<void> {
  await mkdir(join(dataDir, 'kernels', name), { recursive: true });
  await writeFile(join(dataDir, 'kernels', name, 'kernel.json'), typeof spec === 'string' ? spec : JSON.stringify(spec));
}

const pySpec = (python: string) => ({
  argv: [python, '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
  display_name: `Python (${python})`,
  language: 'python',
});

describe('kernelspec discovery', () => {
  it('scans data dirs in order: extra dirs, JUPYTER_PATH, user, system; the first spec of a name wins', async (t) => {
    const root = await tempDataDir(t);
    const extra = join(root, 'project', '.jupyter');
    const fromEnv = join(root, 'env');
    const home = join(root, 'home');
    const system = join(root, 'system');
    await writeSpec(extra, 'python3', { ...pySpec('/opt/project/python'), env: { PYTHONPATH: '/opt/pkgs' }, interrupt_mode: 'message' });
    await writeSpec(fromEnv, 'python3', pySpec('/env/python'));
    await writeSpec(fromEnv, 'julia', { argv: ['julia', '{connection_file}'], display_name: 'Julia', language: 'julia' });
    await writeSpec(join(home, '.local', 'share', 'jupyter'), 'ir', { argv: ['R', '{connection_file}'], display_name: 'R', language: 'R' });
    await writeSpec(system, 'python3', pySpec('/usr/bin/python3'));
    await writeSpec(system, 'Broken', '{ not json');
    await writeSpec(system, 'noargv', { display_name: 'x' });

    const options = { extraDirs: [extra], logger: captureLogger(), env: { HOME: home, JUPYTER_PATH: fromEnv, PATH: '' }, systemDirs: [system] };
    assert.deepEqual(dataDirs(options), [extra, fromEnv, join(home, '.local', 'share', 'jupyter'), system]);
    const specs = await findKernelSpecs(options);
    assert.deepEqual([...specs.keys()].sort(), ['ir', 'julia', 'python3']);
    const py = specs.get('python3');
    assert.equal(py?.argv[0], '/opt/project/python');
    assert.deepEqual(py?.env, { PYTHONPATH: '/opt/pkgs' });
    assert.equal(py?.interruptMode, 'message');
    assert.equal(py?.resourceDir, join(extra, 'kernels', 'python3'));
    assert.equal(specs.get('julia')?.interruptMode, 'signal');
    assert.ok(options.logger.entries.some((e) => e.level === 'warn' && String(e.obj.resourceDir).endsWith('Broken')));

    await assert.rejects(resolveKernelSpec('nope', options), KernelSpecNotFoundError);
    assert.equal((await resolveKernelSpec('python3', options)).name, 'python3');
  });

  it('asks `jupyter kernelspec list --json` when a jupyter command is on PATH, with our dirs on JUPYTER_PATH', async (t) => {
    const root = await tempDataDir(t);
    const bin = join(root, 'bin');
    await mkdir(bin);
    // A stand-in `jupyter` that reports JUPYTER_PATH back through the spec it lists.
    const script = `#!/bin/sh
[ "$1 $2 $3" = "kernelspec list --json" ] || exit 2
printf '{"kernelspecs":{"python3":{"resource_dir":"/rd","spec":{"argv":["py","{connection_file}"],"display_name":"%s","language":"python"}}}}' "$JUPYTER_PATH"
`;
    await writeFile(join(bin, 'jupyter'), script);
    await chmod(join(bin, 'jupyter'), 0o755);
    const specs = await findKernelSpecs({ extraDirs: ['/extra/a'], logger: captureLogger(), env: { PATH: bin, JUPYTER_PATH: '/from/env', HOME: root } });
    const py = specs.get('python3');
    assert.equal(py?.resourceDir, '/rd');
    assert.equal(py?.displayName, '/extra/a:/from/env');

    // A failing jupyter command falls back to scanning.
    await writeFile(join(bin, 'jupyter'), '#!/bin/sh\nexit 1\n');
    const extra = join(root, 'extra');
    await writeSpec(extra, 'python3', pySpec('/scanned/python'));
    const logger = captureLogger();
    const scanned = await findKernelSpecs({ extraDirs: [extra], logger, env: { PATH: bin, HOME: root }, systemDirs: [] });
    assert.equal(scanned.get('python3')?.argv[0], '/scanned/python');
    assert.ok(logger.entries.some((e) => e.level === 'warn'));
  });

  it('validates kernel.json and expands argv placeholders', () => {
    assert.throws(() => parseKernelSpec('x', '/r', { argv: [] }), /argv/);
    assert.throws(() => parseKernelSpec('x', '/r', { argv: ['a'], interrupt_mode: 'poke' }), /interrupt_mode/);
    assert.throws(() => parseKernelSpec('x', '/r', { argv: ['a'], env: { A: 1 } }), /env/);
    const spec = parseKernelSpec('x', '/res', { argv: ['run', '-f', '{connection_file}', '--logo={resource_dir}/logo.png'] });
    assert.deepEqual(expandArgv(spec, '/tmp/conn.json'), ['run', '-f', '/tmp/conn.json', '--logo=/res/logo.png']);
    assert.equal(spec.displayName, 'x');
  });
});
