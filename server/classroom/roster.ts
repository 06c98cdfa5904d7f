// The teacher's roster of a live session: counts and states only — who is here and their kernel's
// state, per cell how many students ran it and how that ended, per exercise how many edited it —
// never a student's outputs or variables.
import type { ExecutionService, FinishedRun } from '../execution/service.ts';
import type { ExerciseProgress } from '../exercises/progress.ts';
import { exerciseProgress } from '../exercises/progress.ts';
import type { NotebookSummary, Notebooks } from '../notebooks/service.ts';
import type { Store } from '../store/types.ts';
import type { Rooms } from '../sync/rooms.ts';

export interface Roster {
  students: Array<{ userId: string; name: string; guest: boolean; connected: boolean; kernel: string }>;
  connected: number;
  cells: Array<{ cellId: string; ran: number; ok: number; errors: number }>;
  /** Per exercise cell: how many students edited it (have their own copy), ran it, got an error. */
  exercises: ExerciseProgress[];
}

type RunStatus = FinishedRun['status'];

/** While a session is live: per cell, each user's latest run's status. */
export class SessionRuns {
  /** notebookId → cellId → userId → status of that user's latest run. */
  private readonly runs = new Map<string, Map<string, Map<string, RunStatus>>>();

  /** A session starts: counting starts from nothing. */
  start(notebookId: string): void {
    this.runs.set(notebookId, new Map());
  }

  /** A live session is started again: counting goes on (from nothing after a server restart). */
  resume(notebookId: string): void {
    this.runs.set(notebookId, this.runs.get(notebookId) ?? new Map<string, Map<string, RunStatus>>());
  }

  stop(notebookId: string): void {
    this.runs.delete(notebookId);
  }

  /** For ExecutionService.onRunFinished: counts per cell while a session is live. */
  record(run: FinishedRun): void {
    const cells = this.runs.get(run.notebookId);
    if (!cells) return;
    let users = cells.get(run.cellId);
    if (!users) {
      users = new Map();
      cells.set(run.cellId, users);
    }
    users.set(run.userId, run.status);
  }

  /** cellId → userId → status, of one notebook (empty when no session is counted). */
  of(notebookId: string): Map<string, Map<string, RunStatus>> {
    return this.runs.get(notebookId) ?? new Map<string, Map<string, RunStatus>>();
  }
}

export interface RosterSources {
  store: Store;
  notebooks: Notebooks;
  rooms: Rooms;
  execution: ExecutionService;
}

export async function rosterOf(
  { store, notebooks, rooms, execution }: RosterSources,
  runs: SessionRuns,
  notebook: NotebookSummary,
  isConnected: (userId: string) => boolean,
): Promise<Roster> {
  const members = await notebooks.members(notebook.id);
  const students = await Promise.all(
    members
      .filter((m) => m.role === 'runner' || m.role === 'viewer')
      .map(async (m) => {
        const user = await store.meta.getUser(m.userId);
        return {
          userId: m.userId,
          name: m.name,
          guest: user?.guest !== undefined,
          connected: isConnected(m.userId),
          kernel: execution.kernelInfo({ notebookId: notebook.id, userId: m.userId }).status,
        };
      }),
  );
  const studentIds = new Set(students.map((s) => s.userId));
  const cells = [...runs.of(notebook.id).entries()].map(([cellId, byUser]) => {
    const statuses = [...byUser.entries()].filter(([userId]) => studentIds.has(userId)).map(([, status]) => status);
    return {
      cellId,
      ran: statuses.length,
      ok: statuses.filter((s) => s === 'ok').length,
      errors: statuses.filter((s) => s === 'error').length,
    };
  });
  const exercises = await exerciseProgress(rooms, notebook.id, [...studentIds], cells);
  return { students, connected: students.filter((s) => s.connected).length, cells, exercises };
}
