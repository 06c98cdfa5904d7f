// Writes one kernel's results into its document, where shared/layout.ts `resultsIn` says they go:
// a cell's outputs made from iopub messages (kernelOutput.ts into outputs.ts), `update_display_data`
// across the document's cells, and the cells' execution records. Output changes are batched into
// one transaction per event-loop turn; everything carries the kernel's origin. (The kernel's status
// is written by kernelStatus.ts alone.)
import type * as Y from 'yjs';
import type { ExecutionInfo } from '../../shared/schema.ts';
import type { Results } from '../../shared/layout.ts';
import { isMessageType } from '../kernels/messages.ts';
import type { KernelMessage } from '../kernels/messages.ts';
import { outputOf } from './kernelOutput.ts';
import { CellOutputs, OutputBatcher, updateDisplayIn } from './outputs.ts';

/** Transaction origin of everything the server writes on a kernel's behalf. */
export const KERNEL_ORIGIN = Symbol('kernel');

export class ResultsWriter {
  readonly batcher: OutputBatcher;
  /** Outputs per cell for this document, kept so clear/update work across runs. */
  private readonly cellOutputs = new Map<string, CellOutputs>();

  constructor(
    private readonly doc: Y.Doc,
    /** Where this kernel's results go in `doc` (shared/layout.ts). */
    readonly results: Results,
    private readonly maxOutputBytes: number,
  ) {
    this.batcher = new OutputBatcher(doc, KERNEL_ORIGIN);
  }

  outputsOf(cellId: string): CellOutputs {
    let outputs = this.cellOutputs.get(cellId);
    const array = this.results.ensureOutputs(cellId);
    if (!outputs || outputs.outputs !== array) {
      outputs = new CellOutputs(array, { maxBytes: this.maxOutputBytes });
      this.cellOutputs.set(cellId, outputs);
    }
    return outputs;
  }

  recordExecution(cellId: string, info: ExecutionInfo): void {
    this.doc.transact(() => this.results.recordExecution(cellId, info), KERNEL_ORIGIN);
  }

  /** Turns one iopub message into an output change of `outputs` (batched). */
  writeOutput(outputs: CellOutputs, msg: KernelMessage): void {
    if (isMessageType(msg, 'clear_output')) {
      const wait = msg.content.wait;
      this.batcher.enqueue(() => outputs.clear(wait));
      return;
    }
    if (isMessageType(msg, 'update_display_data')) {
      this.updateDisplay(msg);
      return;
    }
    const output = outputOf(msg);
    if (!output) return;
    if (output.output_type === 'stream') {
      const { name, text } = output;
      this.batcher.enqueue(() => outputs.appendStream(name, text as string));
    } else {
      this.batcher.enqueue(() => outputs.add(output));
    }
  }

  /** `update_display_data` may target an output of any cell of this document. */
  updateDisplay(msg: KernelMessage<'update_display_data'>): void {
    const { data, metadata, transient } = msg.content;
    this.batcher.enqueue(() => {
      for (const outputs of this.results.allOutputs()) updateDisplayIn(outputs, transient.display_id, data, metadata);
    });
  }
}
