// The teacher's view of an exercise: per exercise cell, how many students edited it (have their own
// copy), ran it, and got an error — counts, never anyone's code. Edits are read from each
// student's private document (the rooms of connected students are in memory anyway).
import { privateRoom, sharedRoom } from '../../shared/rooms.ts';
import { exerciseCopy, isExercise } from '../../shared/myCells.ts';
import { cellId, readableCells } from '../../shared/schema.ts';
import { sharedDoc } from '../../shared/layout.ts';
import type { Rooms } from '../sync/rooms.ts';

export interface ExerciseProgress {
  cellId: string;
  edited: number;
  ran: number;
  errors: number;
}

export async function exerciseProgress(
  rooms: Rooms,
  notebookId: string,
  studentIds: readonly string[],
  /** The roster's run counts per cell (students only). */
  runs: ReadonlyArray<{ cellId: string; ran: number; errors: number }>,
): Promise<ExerciseProgress[]> {
  const shared = await rooms.acquire(sharedRoom(notebookId));
  let exercises: string[];
  try {
    exercises = readableCells(sharedDoc(shared.room.doc).cells).filter(isExercise).map(cellId);
  } finally {
    shared.release();
  }
  if (exercises.length === 0) return [];
  const edited = new Map<string, number>(exercises.map((id) => [id, 0]));
  for (const studentId of studentIds) {
    const lease = await rooms.acquire(privateRoom(notebookId, studentId));
    try {
      for (const id of exercises) if (exerciseCopy(lease.room.doc, id)) edited.set(id, edited.get(id)! + 1);
    } finally {
      lease.release();
    }
  }
  const ranBy = new Map(runs.map((r) => [r.cellId, r] as const));
  return exercises.map((id) => ({ cellId: id, edited: edited.get(id)!, ran: ranBy.get(id)?.ran ?? 0, errors: ranBy.get(id)?.errors ?? 0 }));
}
