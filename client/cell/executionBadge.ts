// The prompt column of a code cell: `[n]`, `[*]` while queued or running (with elapsed seconds),
// and the run's outcome, read from my private document (or the shared cell for shared scope).
import type * as Y from 'yjs';
import type { ExecutionInfo, YCell } from '../../shared/schema.ts';
import { cellId, cellScope } from '../../shared/schema.ts';
import { privateDoc } from '../../shared/layout.ts';
import { h } from '../dom.ts';

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}

export function executionBadge(cell: YCell, privateYDoc: Y.Doc): { element: HTMLElement; dispose(): void } {
  const prompt = h('span', { class: 'prompt' });
  const state = h('span', { class: 'exec-state' });
  const element = h('div', { class: 'execution' }, prompt, state);
  const executions = privateDoc(privateYDoc).executions;
  let timer: ReturnType<typeof setInterval> | undefined;

  const render = () => {
    const info = executions.get(cellId(cell));
    const shared = cellScope(cell) === 'shared';
    const savedCount = cell.get('execution_count') as number | null | undefined;
    const count = shared ? (savedCount ?? info?.execution_count) : (info ? info.execution_count : savedCount);
    const status = info?.status;
    const pending = status === 'queued' || status === 'running';
    prompt.textContent = pending ? '[*]' : `[${count ?? ' '}]`;
    element.dataset['status'] = status ?? 'idle';
    if (status === 'running') {
      const started = info?.started_at ?? Date.now();
      state.textContent = `running ${seconds(Math.max(0, Date.now() - started))}`;
    } else if (status === 'queued') {
      state.textContent = 'queued';
    } else if (status === 'ok') {
      const took = info?.finished_at && info.started_at ? ` in ${seconds(info.finished_at - info.started_at)}` : '';
      state.textContent = `done${took}`;
    } else if (status === 'error') {
      state.textContent = info?.message ? `error: ${info.message}` : 'error';
    } else if (status === 'aborted') {
      state.textContent = info?.message ? `aborted: ${info.message}` : 'aborted';
    } else {
      state.textContent = '';
    }
    if (status === 'running' && !timer) timer = setInterval(render, 500);
    if (status !== 'running' && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  const onExecutions = (event: Y.YMapEvent<ExecutionInfo>) => {
    if (event.keysChanged.has(cellId(cell))) render();
  };
  const onCell = () => render();
  executions.observe(onExecutions);
  cell.observe(onCell);
  render();
  return {
    element,
    dispose() {
      executions.unobserve(onExecutions);
      cell.unobserve(onCell);
      if (timer) clearInterval(timer);
    },
  };
}
