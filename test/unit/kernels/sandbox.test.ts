// The pure parts of the kernel sandbox: the bubblewrap command line, the kernel's environment,
// limit formatting, mountinfo parsing, home paths, and the flags that configure it all.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { loadConfig } from '../../../server/loadConfig.ts';
import { bwrapCommand } from '../../../server/kernels/bwrap.ts';
import type { BwrapPlan } from '../../../server/kernels/bwrap.ts';
import { parseMountInfo } from '../../../server/kernels/mountInfo.ts';
import { kernelEnvironment } from '../../../server/kernels/environment.ts';
import { userHome } from '../../../server/kernels/homes.ts';
import type { KernelSpec } from '../../../server/kernels/kernelspec.ts';
import { formatBytes } from '../../../server/kernels/limits.ts';

const spec: KernelSpec = {
  name: 'python3',
  resourceDir: '/srv/cohort/.jupyter/kernels/python3',
  argv: ['/usr/bin/python3', '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
  displayName: 'Python 3',
  language: 'python',
  interruptMode: 'signal',
  env: { PYTHONPATH: '/srv/cohort/.python/dist-packages' },
  metadata: {},
};

const plan = (overrides: Partial<BwrapPlan> = {}): BwrapPlan => ({
  dropTo: { uid: 65534, gid: 65534 },
  network: 'none',
  rootEntries: [{ path: '/lib', link: 'usr/lib' }, { path: '/opt-lib' }],
  readOnly: ['/srv/cohort/.python', '/srv/cohort/.python/dist-packages', '/usr/share/x', '/srv/cohort/.jupyter/kernels/python3'],
  runDir: '/data/k/abcd1234/run',
  home: '/data/homes/users/alice',
  env: { HOME: '/home/cohort' },
  argv: ['/usr/bin/python3', '-m', 'ipykernel_launcher', '-f', '/run/kernel/kernel.json'],
  ...overrides,
});

/** Pairs `--flag a b` out of an option list, for the flags that take two values. */
function pairs(options: string[], flag: string): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  options.forEach((option, i) => {
    if (option === flag) found.push([options[i + 1]!, options[i + 2]!]);
  });
  return found;
}

describe('bwrapCommand', () => {
  it('unshares every namespace but the user one under a root server, and drops to the kernel uid with no capability', () => {
    const { options, command } = bwrapCommand(plan());
    for (const flag of ['--unshare-ipc', '--unshare-pid', '--unshare-uts', '--unshare-net', '--die-with-parent', '--new-session', '--clearenv']) assert.ok(options.includes(flag), flag);
    assert.ok(!options.includes('--unshare-user'), 'a user namespace made by root maps the kernel to root on the host');
    assert.deepEqual(command.slice(0, 6), ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--']);
    assert.deepEqual(command.slice(6), ['/usr/bin/setsid', ...plan().argv]);
    // The command line holds no host path of the data directory: only the options (sent on a pipe) do.
    assert.ok(!command.join(' ').includes('/data'));
    assert.deepEqual(options.slice(-2), ['--remount-ro', '/']);
  });

  it('without root: a user namespace that cannot make more of them; with --kernel-network host: the host network', () => {
    const { options, command } = bwrapCommand(plan({ dropTo: undefined, network: 'host' }));
    assert.ok(options.includes('--unshare-user') && options.includes('--disable-userns'));
    assert.ok(!options.includes('--unshare-net'));
    assert.equal(command[0], '/usr/bin/setsid');
  });

  it('as root of the mount helper\'s namespace (a server that is not root): a user namespace of its own again, with the server\'s ids, no capability', () => {
    const { options, command } = bwrapCommand(plan({ dropTo: undefined, mapTo: { uid: 998, gid: 997 } }));
    const at = options.indexOf('--unshare-user');
    assert.deepEqual(options.slice(at, at + 8), ['--unshare-user', '--disable-userns', '--uid', '998', '--gid', '997', '--cap-drop', 'ALL']);
    assert.equal(command[0], '/usr/bin/setsid');
  });

  it('binds read-only what the kernel needs (not what /usr shows, not twice), after passable parents; its home and socket dir read-write', () => {
    const { options } = bwrapCommand(plan());
    assert.deepEqual(pairs(options, '--ro-bind'), [
      ['/usr', '/usr'],
      ['/opt-lib', '/opt-lib'],
      ['/etc', '/etc'],
      ['/srv/cohort/.python', '/srv/cohort/.python'],
      ['/srv/cohort/.jupyter/kernels/python3', '/srv/cohort/.jupyter/kernels/python3'],
    ]);
    assert.deepEqual(pairs(options, '--bind'), [
      ['/data/k/abcd1234/run', '/run/kernel'],
      ['/data/homes/users/alice', '/home/cohort'],
    ]);
    assert.deepEqual(pairs(options, '--symlink'), [['usr/lib', '/lib']]);
    const parent = options.indexOf('/srv');
    assert.deepEqual(options.slice(parent - 3, parent + 1), ['--perms', '0755', '--dir', '/srv']);
    assert.ok(parent < options.indexOf('/srv/cohort/.python'));
  });
});

describe('kernelEnvironment', () => {
  it('is the spec\'s env plus home, path, locale and temp dir: nothing of the server\'s environment', () => {
    process.env.COHORT_ADMIN_TOKEN = 'must-not-leak';
    try {
      const env = kernelEnvironment({ spec, home: '/home/cohort', tmpDir: '/tmp', path: '/usr/bin:/bin', lang: 'C.UTF-8' });
      assert.deepEqual(env, {
        PATH: '/usr/bin:/bin',
        LANG: 'C.UTF-8',
        PYTHONPATH: '/srv/cohort/.python/dist-packages',
        HOME: '/home/cohort',
        TMPDIR: '/tmp',
        IPYTHONDIR: '/tmp/.ipython',
      });
    } finally {
      delete process.env.COHORT_ADMIN_TOKEN;
    }
  });

  it('lets a kernelspec set PATH, but not where home and /tmp are', () => {
    const env = kernelEnvironment({ spec: { ...spec, env: { PATH: '/opt/conda/bin', HOME: '/root', TMPDIR: '/var/tmp' } }, home: '/home/cohort', tmpDir: '/tmp', path: '/usr/bin' });
    assert.equal(env.PATH, '/opt/conda/bin');
    assert.equal(env.HOME, '/home/cohort');
    assert.equal(env.TMPDIR, '/tmp');
  });
});

it('formatBytes shows limits as people write them', () => {
  assert.equal(formatBytes(2 * 2 ** 30), '2 GiB');
  assert.equal(formatBytes(256 * 2 ** 20), '256 MiB');
  assert.equal(formatBytes(1.5 * 2 ** 30), '1.5 GiB');
  assert.equal(formatBytes(512), '512 bytes');
});

it('parseMountInfo decodes escaped mount points and finds each mount\'s type and options', () => {
  const [entry] = parseMountInfo('45 26 254:0 /a\\040b /data/k/x/home rw,relatime shared:2 - ext4 /dev/vda rw,discard\n38 30 0:35 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n');
  assert.deepEqual(entry, { root: '/a b', mountPoint: '/data/k/x/home', fsType: 'ext4', superOptions: ['rw', 'discard'] });
});

it('a home path never leaves the homes folder, whatever the id holds', () => {
  assert.equal(userHome('/data', 'Ab3_-x'), '/data/homes/users/Ab3_-x');
  const odd = userHome('/data', '../../etc');
  assert.match(odd, /^\/data\/homes\/users\/h-[0-9a-f]{32}$/);
});

describe('sandbox flags', () => {
  it('default to a bubblewrap sandbox without network, 2 GiB and 512 processes, uid 65534', () => {
    const config = loadConfig([], {});
    assert.equal(config.kernelSandbox, 'bwrap');
    assert.equal(config.kernelNetwork, 'none');
    assert.equal(config.kernelMemoryBytes, 2 * 2 ** 30);
    assert.equal(config.kernelMaxProcesses, 512);
    assert.deepEqual(config.kernelUser, { uid: 65534, gid: 65534 });
  });

  it('read flags and environment variables (flags win) and refuse unknown values', () => {
    const config = loadConfig(['--kernel-sandbox', 'none', '--kernel-uid', '2000:3000', '--kernel-memory-mib', '256'], { COHORT_KERNEL_SANDBOX: 'bwrap', COHORT_KERNEL_NETWORK: 'host', COHORT_KERNEL_MAX_PROCESSES: '64' });
    assert.equal(config.kernelSandbox, 'none');
    assert.equal(config.kernelNetwork, 'host');
    assert.deepEqual(config.kernelUser, { uid: 2000, gid: 3000 });
    assert.equal(config.kernelMemoryBytes, 256 * 2 ** 20);
    assert.equal(config.kernelMaxProcesses, 64);
    assert.throws(() => loadConfig(['--kernel-sandbox', 'docker'], {}), /--kernel-sandbox must be one of bwrap, none/);
    assert.throws(() => loadConfig(['--kernel-uid', 'nobody'], {}), /--kernel-uid must be a uid or uid:gid/);
  });
});
