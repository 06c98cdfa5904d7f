// The roster: who joined, who is connected, each student's kernel, and per cell how many ran it
// and how many got an error. Counts and states only — the teacher never sees students' code.
// Polls the server every ~2 s while the panel is open and a session runs.
import type * as Y from 'yjs';
import { cellId as idOf } from '../../shared/schema.ts';
import { sharedDoc } from '../../shared/layout.ts';
import { api, errorMessage, type Roster } from '../api.ts';
import { attempt, h } from '../dom.ts';
import { renderExerciseProgress } from '../exercises/progressTable.ts';
import { avatar } from '../people/avatar.ts';
import { distinctNames } from '../people/names.ts';

const POLL_MS = 2000;

export function rosterView(notebookId: string, doc: Y.Doc): { element: HTMLElement; setPolling(on: boolean): void; dispose(): void } {
  const heading = h('h3', {}, 'Students');
  const status = h('p', { class: 'roster-status' });
  const students = h('ul', { class: 'roster-students' });
  const cellsTable = h('table', { class: 'roster-cells' });
  const exercisesTable = h('table', { class: 'roster-exercises', hidden: true });
  const element = h('section', { class: 'roster' }, heading, status, students, exercisesTable, cellsTable);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let polling = false;
  let generation = 0;

  const cellNumber = (cellId: string) => sharedDoc(doc).cells.toArray().findIndex((cell) => idOf(cell) === cellId) + 1;

  const render = (roster: Roster) => {
    heading.textContent = `Students — ${roster.connected} connected of ${roster.students.length}`;
    element.dataset['connected'] = String(roster.connected);
    status.textContent = roster.students.length === 0 ? 'Nobody has joined yet.' : '';
    const sorted = [...roster.students].sort((a, b) => Number(b.connected) - Number(a.connected) || a.name.localeCompare(b.name));
    // Two students called "Ada" get a short tag each, the same tag on the published board.
    const names = distinctNames(roster.students.map((student) => ({ id: student.userId, name: student.name })));
    students.replaceChildren(
      ...sorted.map((student) =>
        h(
          'li',
          { class: 'roster-student', 'data-user': student.userId, 'data-connected': String(student.connected) },
          h('span', { class: `dot ${student.connected ? 'on' : 'off'}`, title: student.connected ? 'connected' : 'not connected' }),
          avatar({ id: student.userId, name: student.name }, names.get(student.userId)),
          h('span', { class: 'student-name' }, (names.get(student.userId) ?? student.name) + (student.guest ? '' : ' (member)')),
          h('span', { class: 'student-kernel', 'data-status': student.kernel }, `kernel: ${student.kernel}`),
        ),
      ),
    );
    renderExerciseProgress(exercisesTable, roster, cellNumber);
    const rows = roster.cells
      .map((cell) => ({ ...cell, number: cellNumber(cell.cellId) }))
      .filter((cell) => cell.number > 0 && cell.ran > 0)
      .sort((a, b) => a.number - b.number);
    cellsTable.hidden = rows.length === 0;
    cellsTable.replaceChildren(
      h('thead', {}, h('tr', {}, h('th', {}, 'Cell'), h('th', {}, 'Ran'), h('th', {}, 'Errors'))),
      h(
        'tbody',
        {},
        ...rows.map((cell) =>
          h(
            'tr',
            { 'data-cell-id': cell.cellId },
            h('td', {}, `cell ${cell.number}`),
            h('td', { class: 'ran' }, String(cell.ran)),
            h('td', { class: `errors${cell.errors > 0 ? ' some' : ''}` }, String(cell.errors)),
          ),
        ),
      ),
    );
  };

  const poll = async (mine: number) => {
    try {
      const roster = await api.roster(notebookId);
      if (mine === generation) render(roster);
    } catch (error) {
      if (mine === generation) status.textContent = `Roster unavailable: ${errorMessage(error)}`;
    }
    if (mine === generation && polling) timer = setTimeout(() => attempt(() => poll(mine), 'Roster unavailable'), POLL_MS);
  };

  return {
    element,
    setPolling(on) {
      if (on === polling) return;
      polling = on;
      generation++;
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (on) attempt(() => poll(generation), 'Roster unavailable');
    },
    dispose() {
      polling = false;
      generation++;
      if (timer) clearTimeout(timer);
    },
  };
}
