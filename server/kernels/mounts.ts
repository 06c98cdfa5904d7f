// Mounts for kernel sandboxes: a pooled kernel's home mount point is made a shared mount before
// its sandbox starts, and a user's home is bound onto it once the kernel is assigned (the mount
// propagates into the sandbox, see sandbox.ts); both are detached when the kernel stops, and
// leftovers of a crashed server are found in mountinfo and detached at the next start.
//
// A root server mounts in the host's mount namespace. A server that is not root cannot; its helper
// then runs in a user and mount namespace of its own (unshare(1): root in there, the server's uid
// outside), where it may mount, and sandboxes are started inside those namespaces (nsenter(1)), so
// the mounts propagate into them just the same. Nothing of it is seen on the host, and it all goes
// with the helper.
//
// Node has no mount(2). Spawning mount(8) costs 10-15 ms per call here (measured from Node), and
// one such call sits on a new user's first-result path; so a small resident helper makes the calls
// instead (Python, which every kernel needs anyway, through ctypes): about 0.2 ms each. It runs
// with the server's privileges, takes commands only on its stdin from this process, refuses paths
// outside the data directory, and dies with the server (PR_SET_PDEATHSIG, and EOF on stdin).
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { createInterface } from 'node:readline';

import { parseMountInfo } from './mountInfo.ts';
import type { Logger } from './logger.ts';

const HELPER = String.raw`
import ctypes, json, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
MS_BIND, MS_SHARED, MS_REMOUNT, MS_RDONLY, MNT_DETACH, PR_SET_PDEATHSIG = 4096, 1 << 20, 32, 1, 2, 1
libc.prctl(PR_SET_PDEATHSIG, 9)
if os.getppid() != int(sys.argv[2]):
    sys.exit(1)
root = os.path.realpath(sys.argv[1])

def inside(path):
    real = os.path.realpath(path)
    if real != root and not real.startswith(root + '/'):
        raise ValueError('%s is outside %s' % (path, root))
    return real.encode()

def check(rc, what, path):
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, '%s %s: %s' % (what, path, os.strerror(err)))

for line in sys.stdin:
    request = json.loads(line)
    try:
        op = request['op']
        if op == 'ping':
            pass
        elif op == 'share':
            path = inside(request['path'])
            check(libc.mount(path, path, None, MS_BIND, None), 'bind', request['path'])
            check(libc.mount(None, path, None, MS_SHARED, None), 'make shared', request['path'])
        elif op == 'bind':
            source, target = inside(request['source']), inside(request['target'])
            check(libc.mount(source, target, None, MS_BIND, None), 'bind onto', request['target'])
        elif op == 'bind_read_only':
            # Made read-only on a stage first: a mount propagates with the flags it has when it is
            # made, and a later remount would not reach the sandbox's copy.
            source, stage, target = inside(request['source']), inside(request['stage']), inside(request['target'])
            check(libc.mount(source, stage, None, MS_BIND, None), 'bind onto', request['stage'])
            check(libc.mount(None, stage, None, MS_REMOUNT | MS_BIND | MS_RDONLY, None), 'make read-only', request['stage'])
            check(libc.mount(stage, target, None, MS_BIND, None), 'bind onto', request['target'])
            check(libc.umount2(stage, MNT_DETACH), 'detach', request['stage'])
        elif op == 'detach':
            check(libc.umount2(inside(request['path']), MNT_DETACH), 'detach', request['path'])
        else:
            raise ValueError('unknown op %r' % op)
        answer = {'id': request['id'], 'ok': True}
    except Exception as error:
        answer = {'id': request['id'], 'error': str(error)}
    sys.stdout.write(json.dumps(answer) + '\n')
    sys.stdout.flush()
`;

type Request =
  | { op: 'ping' }
  | { op: 'share'; path: string }
  | { op: 'bind'; source: string; target: string }
  | { op: 'bind_read_only'; source: string; stage: string; target: string }
  | { op: 'detach'; path: string };

export class MountHelper {
  private child: ChildProcessWithoutNullStreams | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

  constructor(
    /** Every path the helper touches must be inside this directory. */
    private readonly root: string,
    private readonly logger: Logger,
    /** Mount in a user and mount namespace of the helper's own (a server that is not root). */
    readonly ownNamespace = false,
    private readonly python = '/usr/bin/python3',
  ) {}

  /**
   * What runs a command inside the helper's namespaces (nothing when it mounts on the host). The
   * helper answers a ping first: before that, its namespaces may not exist yet.
   */
  async enterPrefix(): Promise<string[]> {
    if (!this.ownNamespace) return [];
    await this.call({ op: 'ping' });
    const pid = this.child?.pid;
    if (pid === undefined) throw new Error('mount helper is not running');
    // --preserve-credentials: the server's uid is root in there already; nsenter must not try
    // setgroups, which unshare --map-root-user denies.
    return [NSENTER, `--target=${pid}`, '--user', '--mount', '--preserve-credentials', '--'];
  }

  /** Mount points at or below `dir` in the helper's mount namespace. */
  async pointsUnder(dir: string): Promise<string[]> {
    if (!this.ownNamespace) return mountPointsUnder(dir);
    await this.call({ op: 'ping' });
    return mountPointsUnder(dir, `/proc/${this.child!.pid}/mountinfo`);
  }

  /** Binds `path` onto itself and makes it a shared mount: mounts made on it later propagate to its copies. */
  share(path: string): Promise<void> {
    return this.call({ op: 'share', path });
  }

  bind(source: string, target: string): Promise<void> {
    return this.call({ op: 'bind', source, target });
  }

  /** Binds `source` onto `target` read-only, by way of `stage` (an empty directory): see the helper. */
  bindReadOnly(source: string, stage: string, target: string): Promise<void> {
    return this.call({ op: 'bind_read_only', source, stage, target });
  }

  /** Lazy unmount (MNT_DETACH): gone from the tree at once, released when nothing uses it. */
  detach(path: string): Promise<void> {
    return this.call({ op: 'detach', path });
  }

  /** Detaches every mount at or below `dir`, topmost first, until none is left. */
  async detachAllUnder(dir: string): Promise<void> {
    for (let round = 0; round < 20; round++) {
      const left = await this.pointsUnder(dir);
      if (left.length === 0) return;
      // The last entries are the most recent mounts: stacked ones come after what they cover.
      for (const path of left.reverse()) await this.detach(path);
    }
    throw new Error(`mounts under ${dir} could not be removed`);
  }

  dispose(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }

  private call(request: Request): Promise<void> {
    const child = (this.child ??= this.start());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.holdOpen(child, true);
      child.stdin.write(`${JSON.stringify({ ...request, id })}\n`);
    });
  }

  /**
   * The helper must not keep the server (or a test) alive by itself, but a call waiting for its
   * answer must: the process is referenced only while answers are due.
   */
  private holdOpen(child: ChildProcessWithoutNullStreams, hold: boolean): void {
    for (const handle of [child, child.stdout]) {
      if (!(handle instanceof Socket) && handle !== child) continue;
      if (hold) handle.ref();
      else handle.unref();
    }
  }

  private start(): ChildProcessWithoutNullStreams {
    const helper = [this.python, '-I', '-c', HELPER, this.root, String(process.pid)];
    // unshare(1) execs the helper: same pid, still the server's child.
    const argv = this.ownNamespace ? [UNSHARE, '--user', '--map-root-user', '--mount', ...helper] : helper;
    const child = spawn(argv[0]!, argv.slice(1), { env: {}, stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: child.stdout }).on('line', (line) => {
      let answer: { id?: unknown; ok?: unknown; error?: unknown };
      try {
        answer = JSON.parse(line) as typeof answer;
      } catch {
        this.logger.error({ line }, 'mount helper wrote something unexpected');
        return;
      }
      const waiter = typeof answer.id === 'number' ? this.waiting.get(answer.id) : undefined;
      if (!waiter) return;
      this.waiting.delete(answer.id as number);
      if (this.waiting.size === 0) this.holdOpen(child, false);
      if (answer.ok === true) waiter.resolve();
      else waiter.reject(new Error(`mount helper: ${String(answer.error)}`));
    });
    createInterface({ input: child.stderr }).on('line', (line) => this.logger.warn({ line }, 'mount helper'));
    const fail = (why: string) => {
      if (this.child === child) this.child = undefined;
      for (const waiter of this.waiting.values()) waiter.reject(new Error(`mount helper ${why}`));
      this.waiting.clear();
    };
    child.on('error', (error) => fail(`failed: ${error.message}`));
    child.on('exit', (code, signal) => fail(`exited (${signal ?? code})`));
    // Not referenced while idle (see holdOpen); it ends when the server does.
    for (const stream of [child.stdin, child.stderr]) if (stream instanceof Socket) stream.unref();
    this.holdOpen(child, false);
    return child;
  }
}

export const NSENTER = '/usr/bin/nsenter';
export const UNSHARE = '/usr/bin/unshare';

/** Mount points at or below `dir`, in mountinfo order (older first). */
export async function mountPointsUnder(dir: string, mountInfo = '/proc/self/mountinfo'): Promise<string[]> {
  const mounts = parseMountInfo(await readFile(mountInfo, 'utf8'));
  return mounts.map((m) => m.mountPoint).filter((point) => point === dir || point.startsWith(`${dir}/`));
}

/**
 * Removes a kernel directory, but only once nothing is mounted in it: a user's home may be bound
 * on its placeholder, and a recursive removal would descend into it and delete the user's files.
 */
export async function removeKernelDir(dir: string, mounts: MountHelper | undefined): Promise<void> {
  if (!existsSync(dir)) return;
  const pointsUnder = (path: string) => (mounts ? mounts.pointsUnder(path) : mountPointsUnder(path));
  if ((await pointsUnder(dir)).length > 0) {
    if (!mounts) throw new Error(`${dir} still has mounts and this server cannot unmount them`);
    await mounts.detachAllUnder(dir);
    if ((await pointsUnder(dir)).length > 0) throw new Error(`${dir} still has mounts; not removing it`);
  }
  await rm(dir, { recursive: true, force: true });
}
