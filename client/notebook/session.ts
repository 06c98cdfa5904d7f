// What every view of an open notebook needs: who I am, my role, both documents, and actions.
import type { Awareness } from 'y-protocols/awareness';
import type { Me } from '../api.ts';
import type { Role } from '../../shared/roles.ts';
import { can } from '../../shared/roles.ts';
import type { Scope } from '../../shared/schema.ts';
import type { DocConnection } from '../sync/connection.ts';
import type { WidgetRenderer } from '../outputs/renderOutput.ts';
import type { ScratchCells } from '../scratch/scratchCells.ts';

export interface NotebookSession {
  readonly me: Me;
  readonly notebookId: string;
  readonly role: Role;
  readonly shared: DocConnection;
  readonly private: DocConnection;
  readonly awareness: Awareness;
  /** Renders widget views from the models of one scope's document. */
  widgetRenderer(scope: Scope): WidgetRenderer;
  /** Asks the server to run these cells; failures are reported to the user. */
  run(cellIds: string[]): void;
  /** Cells of this session cannot run (hidden cells: the server runs only revealed ones). */
  readonly runsDisabled?: boolean;
  /** My scratch cells in the main cell list (client/scratch/scratchCells.ts), once they are set up. */
  scratch?: ScratchCells;
}

export function canEdit(session: NotebookSession): boolean {
  return can.editShared(session.role);
}

export function canRun(session: NotebookSession, scope: Scope): boolean {
  if (session.runsDisabled) return false;
  return scope === 'shared' ? can.runSharedCells(session.role) : can.runUserCells(session.role);
}

export function canManage(session: NotebookSession): boolean {
  return can.manage(session.role);
}
