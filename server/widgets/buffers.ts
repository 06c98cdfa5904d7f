// ipywidgets binary buffers: a message carries `buffer_paths` (paths into `state`) and the
// buffers as extra frames. Kernel → document: put each buffer at its path. Document → kernel:
// take every Uint8Array out of the state and list its path.
// (ipywidgets protocol 2.1, "Binary buffers": jupyter-widgets-schema/messages.md)

export type BufferPath = Array<string | number>;

function isContainer(value: unknown): value is Record<string | number, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Returns a copy of `state` with `buffers[i]` placed at `paths[i]`. Bad paths are skipped. */
export function putBuffers(state: Record<string, unknown>, paths: unknown, buffers: readonly Uint8Array[]): Record<string, unknown> {
  if (!Array.isArray(paths) || paths.length === 0) return state;
  const result: Record<string, unknown> = structuredClone(state);
  paths.forEach((path, i) => {
    const buffer = buffers[i];
    if (!buffer || !Array.isArray(path) || path.length === 0) return;
    let target: unknown = result;
    for (const key of path.slice(0, -1)) {
      if (!isContainer(target)) return;
      target = target[key as string];
    }
    if (isContainer(target)) target[path[path.length - 1] as string] = new Uint8Array(buffer);
  });
  return result;
}

/** Splits binary values out of a state: JSON state, their paths, and the buffers. */
export function takeBuffers(state: Record<string, unknown>): { state: Record<string, unknown>; paths: BufferPath[]; buffers: Uint8Array[] } {
  const paths: BufferPath[] = [];
  const buffers: Uint8Array[] = [];
  const walk = (value: unknown, path: BufferPath): unknown => {
    if (value instanceof Uint8Array) {
      paths.push(path);
      buffers.push(value);
      return null;
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i]));
    if (isContainer(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k])]));
    return value;
  };
  const json = Object.fromEntries(Object.entries(state).map(([k, v]) => [k, walk(v, [k])]));
  return { state: json, paths, buffers };
}

/** Deep equality for JSON-with-binary values, to avoid writing what the document already holds. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (isContainer(a) && isContainer(b) && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => sameValue(a[k], b[k]));
  }
  return false;
}

/**
 * Bytes a JSON-with-binary value takes: buffers by length, strings as UTF-8, the rest near its
 * JSON size. Walks the value rather than `JSON.stringify`, which would spell each buffer byte as
 * a number (and is what a kernel sending 30 MB would make us do on every update).
 */
export function valueBytes(value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === 'string') return Buffer.byteLength(value) + 2;
  if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + valueBytes(v) + 1, 2);
  if (isContainer(value)) {
    let sum = 2;
    for (const [k, v] of Object.entries(value)) sum += Buffer.byteLength(k) + 4 + valueBytes(v);
    return sum;
  }
  return 8;
}
