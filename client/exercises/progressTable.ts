// The roster's exercise rows: per exercise cell, how many students edited it, ran it, and got an
// error — counts from the server, never anyone's code.
import type { Roster } from '../api.ts';
import { h } from '../dom.ts';

export function renderExerciseProgress(table: HTMLTableElement, roster: Roster, cellNumber: (cellId: string) => number): void {
  const rows = (roster.exercises ?? []).map((row) => ({ ...row, number: cellNumber(row.cellId) })).filter((row) => row.number > 0);
  table.hidden = rows.length === 0;
  table.replaceChildren(
    h('caption', {}, 'Exercises'),
    h('thead', {}, h('tr', {}, h('th', {}, 'Cell'), h('th', {}, 'Edited'), h('th', {}, 'Ran'), h('th', {}, 'Errors'))),
    h(
      'tbody',
      {},
      ...rows
        .sort((a, b) => a.number - b.number)
        .map((row) =>
          h(
            'tr',
            { 'data-cell-id': row.cellId },
            h('td', {}, `cell ${row.number}`),
            h('td', { class: 'edited' }, String(row.edited)),
            h('td', { class: 'ran' }, String(row.ran)),
            h('td', { class: `errors${row.errors > 0 ? ' some' : ''}` }, String(row.errors)),
          ),
        ),
    ),
  );
}
