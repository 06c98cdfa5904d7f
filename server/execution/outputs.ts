// Kernel iopub messages → nbformat outputs in a cell's Y.Array, with Jupyter's front-end rules:
// consecutive chunks of one stream merge into one output; `clear_output(wait=True)` clears only
// when the next output arrives; a cell's outputs are capped, with a visible truncation marker.
import * as Y from 'yjs';
import type { JSONObject, JSONValue, Output } from '../../shared/nbformat.ts';
import type { YOutput } from '../../shared/schema.ts';
import { outputToYMap } from '../../shared/schema.ts';
import { StreamText } from './streamText.ts';

export interface OutputLimits {
  /** Bytes of output text (streams and JSON of rich outputs) kept per cell. */
  maxBytes: number;
}

export class CellOutputs {
  private stream: { name: string; ymap: YOutput; text: StreamText; shown: string } | undefined;
  private clearOnNext = false;
  private bytes = 0;
  private truncated = false;

  constructor(
    readonly outputs: Y.Array<YOutput>,
    private readonly limits: OutputLimits,
  ) {}

  /** Must run inside a transaction of the outputs' document. */
  clear(wait: boolean): void {
    if (wait) {
      this.clearOnNext = true;
      return;
    }
    this.clearNow();
  }

  private clearNow(): void {
    this.clearOnNext = false;
    if (this.outputs.length > 0) this.outputs.delete(0, this.outputs.length);
    this.stream = undefined;
    this.bytes = 0;
    this.truncated = false;
  }

  private beforeOutput(size: number): boolean {
    if (this.clearOnNext) this.clearNow();
    if (this.truncated) return false;
    if (this.bytes + size > this.limits.maxBytes) {
      this.truncated = true;
      this.stream = undefined;
      this.outputs.push([outputToYMap(truncationMarker(this.limits.maxBytes))]);
      return false;
    }
    this.bytes += size;
    return true;
  }

  appendStream(name: 'stdout' | 'stderr', chunk: string): void {
    if (!this.beforeOutput(chunk.length)) return;
    let stream = this.stream;
    const last = this.outputs.length > 0 ? this.outputs.get(this.outputs.length - 1) : undefined;
    if (!stream || stream.name !== name || stream.ymap !== last) {
      const ymap = outputToYMap({ output_type: 'stream', name, text: '' });
      this.outputs.push([ymap]);
      stream = { name, ymap, text: new StreamText(), shown: '' };
      this.stream = stream;
    }
    // Finished lines never change, so the comparison starts where they ended: O(chunk), not O(output).
    const stable = stream.text.stableLength;
    stream.text.append(chunk);
    const next = stream.text.toString();
    const ytext = stream.ymap.get('text') as Y.Text;
    // Only the unfinished last line can differ from what is shown: patch from the first change.
    let common = Math.min(stream.shown.length, next.length);
    for (let i = stable; i < common; i++) {
      if (stream.shown.charCodeAt(i) !== next.charCodeAt(i)) {
        common = i;
        break;
      }
    }
    if (common < stream.shown.length) ytext.delete(common, stream.shown.length - common);
    if (common < next.length) ytext.insert(common, next.slice(common));
    stream.shown = next;
  }

  add(output: Output): void {
    if (!this.beforeOutput(JSON.stringify(output).length)) return;
    this.stream = undefined;
    this.outputs.push([outputToYMap(output)]);
  }

  /** Replaces the data of every output of this cell that shows `displayId`; true if any did. */
  updateDisplay(displayId: string, data: Record<string, JSONValue>, metadata: JSONObject): boolean {
    return updateDisplayIn(this.outputs, displayId, data, metadata);
  }
}

export function updateDisplayIn(
  outputs: Y.Array<YOutput>,
  displayId: string,
  data: Record<string, JSONValue>,
  metadata: JSONObject,
): boolean {
  let found = false;
  outputs.forEach((ymap) => {
    const transient = ymap.get('transient') as { display_id?: string } | undefined;
    if (transient?.display_id === displayId) {
      ymap.set('data', data);
      ymap.set('metadata', metadata);
      found = true;
    }
  });
  return found;
}

export function truncationMarker(maxBytes: number): Output {
  const size = maxBytes >= 1024 * 1024 ? `${(maxBytes / 1024 / 1024).toFixed(0)} MB` : `${Math.round(maxBytes / 1024)} kB`;
  return {
    output_type: 'display_data',
    data: { 'text/plain': `Output truncated: this cell printed more than ${size}; the rest was dropped.` },
    metadata: { cohort: { truncated: true } },
  };
}

/**
 * Collects output changes and applies them once per event-loop turn in one transaction, so a
 * print loop sends one update per turn instead of one per line.
 */
export class OutputBatcher {
  private pending: Array<() => void> = [];
  private scheduled = false;

  constructor(
    private readonly doc: Y.Doc,
    private readonly origin: unknown,
  ) {}

  enqueue(change: () => void): void {
    this.pending.push(change);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    const changes = this.pending;
    this.pending = [];
    if (changes.length === 0) return;
    this.doc.transact(() => {
      for (const change of changes) change();
    }, this.origin);
  }
}
