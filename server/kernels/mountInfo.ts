// Reading /proc/self/mountinfo: where each filesystem is mounted, which part of it is shown there,
// its type and its options. Cgroup detection looks for the cgroup hierarchies in it; the sandbox
// mounts look for their own leftovers.

export interface MountEntry {
  /** The part of the filesystem shown at the mount point (`/` unless a subtree was bound). */
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

/** Mount points as /proc/self/mountinfo lists them (octal escapes such as `\040` decoded). */
export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fsType, , superOptions] = right.split(' ');
    if (fields.length < 5 || !fsType) continue;
    entries.push({ root: unescapeMountPath(fields[3]!), mountPoint: unescapeMountPath(fields[4]!), fsType, superOptions: (superOptions ?? '').split(',') });
  }
  return entries;
}

function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
