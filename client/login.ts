// The token form shown when there is no session (the printed `/login?token=` URL skips it).
import { api, errorMessage } from './api.ts';
import { h, notify } from './dom.ts';
import { joinEntry } from './classroom/joinPage.ts';

export function renderLogin(app: HTMLElement): void {
  const input = h('input', { type: 'password', name: 'token', placeholder: 'Access token', autocomplete: 'off', required: true });
  const form = h(
    'form',
    { class: 'card login' },
    h('h1', {}, 'Sign in to Cohort'),
    h('p', {}, 'Paste the token from your login link.'),
    input,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    api.login(input.value.trim()).then(
      () => location.reload(),
      (error: unknown) => notify(`Sign-in failed: ${errorMessage(error)}`),
    );
  });
  const join = h('div', { class: 'card login join-box' }, h('h2', {}, 'In a class?'), h('p', {}, 'Type the code your teacher shows — no account needed.'), joinEntry());
  app.replaceChildren(form, join);
  input.focus();
}
