// Who may read and who may control which kernel of a notebook, asked for by scope: every member
// reads and controls their own kernel (interrupt, restart, stop) and reads the notebook's shared
// kernel; only those who may run shared-scope cells (the owner) control the shared one. The
// caller's membership was checked already (routes/notebooks.ts `notebookFor`).
import { can } from '../../shared/roles.ts';
import type { Scope } from '../../shared/schema.ts';
import { HttpError } from '../errors.ts';
import type { KernelKey } from '../kernels/kernelKeys.ts';
import type { NotebookSummary } from '../notebooks/service.ts';

export type KernelAction = 'read' | 'control';

/** The key of the kernel a user means by `scope` on a notebook, if they may do `action` with it; 403 if not. */
export function kernelKeyFor(notebook: NotebookSummary, userId: string, scope: Scope, action: KernelAction): KernelKey {
  if (scope === 'user') return { notebookId: notebook.id, userId };
  if (action === 'control' && !can.runSharedCells(notebook.role)) {
    throw new HttpError(403, 'forbidden', 'only the owner controls the shared kernel');
  }
  return { notebookId: notebook.id, shared: true };
}
