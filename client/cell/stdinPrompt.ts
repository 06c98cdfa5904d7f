// An inline `input()` box under the cell that asked, answered through the stdin endpoint.
import type * as Y from 'yjs';
import { privateDoc } from '../../shared/layout.ts';
import { api, errorMessage } from '../api.ts';
import { h, notify } from '../dom.ts';

export function stdinPrompt(notebookId: string, cellIdValue: string, privateYDoc: Y.Doc): { element: HTMLElement; dispose(): void } {
  const element = h('div', { class: 'stdin', hidden: true });
  const stdin = privateDoc(privateYDoc).stdin;
  let shownFor: string | undefined;

  const render = () => {
    const request = stdin.get('request');
    if (!request || request.cell_id !== cellIdValue) {
      element.hidden = true;
      element.replaceChildren();
      shownFor = undefined;
      return;
    }
    if (shownFor === request.request_id) return;
    shownFor = request.request_id;
    const input = h('input', { type: request.password ? 'password' : 'text', class: 'stdin-input', autocomplete: 'off', 'aria-label': request.prompt || 'input' });
    const form = h('form', { class: 'stdin-form' }, h('label', { class: 'stdin-prompt' }, request.prompt), input, h('button', { type: 'submit' }, 'Send'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = input.value;
      input.disabled = true;
      api.answerStdin(notebookId, value).catch((error: unknown) => {
        input.disabled = false;
        notify(`Could not send your input: ${errorMessage(error)}`);
      });
    });
    element.replaceChildren(form);
    element.hidden = false;
    input.focus();
  };
  stdin.observe(render);
  render();
  return { element, dispose: () => stdin.unobserve(render) };
}
