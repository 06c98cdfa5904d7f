// Joining a live session: the page at `#/join/<code>` (the link the teacher shares), and the small
// "Join a session" form on the sign-in page and the notebook list. No sign-in is needed: the
// server makes the caller a guest `runner` of that notebook and sets the session cookie; a
// signed-in caller joins with their own account.
import { api, ApiError, errorMessage, type Me } from '../api.ts';
import { h } from '../dom.ts';

/** Words for the failures a student can meet, instead of status codes. */
export function joinErrorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 429) return 'Too many attempts. Wait a minute, then try again.';
    if (error.status === 410 || /ended/i.test(error.code)) return 'That live session has ended.';
    if (error.code === 'join_code_invalid' || error.status === 404) {
      return 'No live session has that code. Check it with your teacher — the session may also have ended.';
    }
    if (error.status === 400) return `Check the code and your name: ${error.message}`;
  }
  return `Could not join: ${errorMessage(error)}`;
}

export function joinRoute(code: string): string {
  return `#/join/${encodeURIComponent(code)}`;
}

export interface JoinPageOptions {
  code: string;
  /** Signed in already: join with this account, no name asked. */
  me: Me | undefined;
}

export function renderJoinPage(app: HTMLElement, options: JoinPageOptions): { dispose(): void } {
  let disposed = false;
  const codeInput = h('input', { name: 'code', value: options.code, placeholder: 'Session code', autocomplete: 'off', required: true, 'aria-label': 'Session code', class: 'join-code-input' });
  const nameInput = h('input', { name: 'name', placeholder: 'Your name', autocomplete: 'nickname', required: true, maxlength: 60, 'aria-label': 'Your name' });
  const error = h('p', { class: 'join-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Join');
  const form = h(
    'form',
    { class: 'card join-form' },
    h('h1', {}, 'Join a live session'),
    h('label', {}, 'Code', codeInput),
    options.me ? h('p', { class: 'hint' }, `You will join as ${options.me.name}.`) : h('label', {}, 'Your name (shown to your teacher)', nameInput),
    error,
    submit,
    options.me ? null : h('p', { class: 'hint' }, 'Have an account? ', h('a', { href: '#/' }, 'Sign in')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const code = codeInput.value.trim();
    const name = nameInput.value.trim();
    if (!code || (!options.me && !name)) return;
    error.textContent = '';
    submit.disabled = true;
    api.join(code, options.me ? options.me.name : name).then(
      (joined) => {
        if (disposed) return;
        const target = `#/nb/${encodeURIComponent(joined.notebookId)}`;
        if (options.me) {
          location.hash = target;
          return;
        }
        // A guest now has a session cookie: start the app again, signed in.
        history.replaceState(null, '', target);
        location.reload();
      },
      (failure: unknown) => {
        if (disposed) return;
        submit.disabled = false;
        error.textContent = joinErrorMessage(failure);
      },
    );
  });
  app.replaceChildren(form);
  (options.code ? (options.me ? submit : nameInput) : codeInput).focus();
  return {
    dispose() {
      disposed = true;
    },
  };
}

/** The "Join a session" form of the sign-in page and the list: a code, then the join page. */
export function joinEntry(): HTMLElement {
  const input = h('input', { name: 'join-code', placeholder: 'Session code', autocomplete: 'off', 'aria-label': 'Session code', required: true });
  const form = h('form', { class: 'join-entry' }, input, h('button', { type: 'submit' }, 'Join a session'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const code = input.value.trim();
    if (code) location.hash = joinRoute(code);
  });
  return form;
}

/** Shown to a student when the server closes their connection because the session ended. */
export function sessionEndedCard(): HTMLElement {
  return h(
    'div',
    { class: 'card session-ended', role: 'alert' },
    h('h2', {}, 'The live session has ended'),
    h('p', {}, 'Your teacher ended the session, so this notebook is closed for you. Thank you for taking part!'),
    h('p', {}, h('a', { href: '#/join/' }, 'Join another session'), ' · ', h('a', { href: '#/' }, 'Your notebooks')),
  );
}
