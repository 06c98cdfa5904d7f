// The bound on what one kernel's widgets may hold in its document (--max-widget-state-bytes): the
// bytes of every model's traits are counted as the kernel writes them; an update that would pass
// the bound is refused, and the widget's cell says so once per model.
import type { Logger } from '../log.ts';
import { valueBytes } from './buffers.ts';
import type { WidgetSession } from './widgetSession.ts';

export class StateBound {
  constructor(
    private readonly maxStateBytes: number,
    private readonly log: Logger,
  ) {}

  /**
   * Whether the kernel's widgets stay within the state bound with these trait values for a
   * model; if so they are counted, if not the change is refused and the user told once per model.
   */
  fits(state: WidgetSession, commId: string, changes: Record<string, unknown>): boolean {
    const sizes = state.traitBytes.get(commId) ?? new Map<string, number>();
    let delta = 0;
    const next: Array<[string, number]> = [];
    for (const [key, value] of Object.entries(changes)) {
      const bytes = valueBytes(value);
      delta += bytes - (sizes.get(key) ?? 0);
      next.push([key, bytes]);
    }
    const max = this.maxStateBytes;
    if (state.totalBytes + delta > max) {
      this.log.warn({ model: commId, bytes: state.totalBytes + delta, max }, 'widget state over its bound; kernel update refused');
      if (!state.noted.has(commId)) {
        state.noted.add(commId);
        const cell = state.modelCell.get(commId);
        const note =
          `Widget update refused: this kernel's widgets would hold ${state.totalBytes + delta} bytes, ` +
          `more than the server keeps (${max}, --max-widget-state-bytes). The widget shows its last accepted state.\n`;
        if (cell) state.session.writer.batcher.enqueue(() => state.session.writer.outputsOf(cell).appendStream('stderr', note));
      }
      return false;
    }
    for (const [key, bytes] of next) sizes.set(key, bytes);
    state.traitBytes.set(commId, sizes);
    state.totalBytes += delta;
    return true;
  }

  /** A model is gone: its bytes no longer count. */
  forget(state: WidgetSession, commId: string): void {
    for (const bytes of state.traitBytes.get(commId)?.values() ?? []) state.totalBytes -= bytes;
    state.traitBytes.delete(commId);
    state.noted.delete(commId);
  }
}
