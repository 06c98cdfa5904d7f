// Light or dark: follows the system's `prefers-color-scheme` until the person picks one with the
// toggle; the pick is remembered in this browser. The page reads `data-theme` on <html>, so every
// colour is a CSS variable and nothing is re-rendered when the theme changes.
import { h } from './dom.ts';

type Choice = 'light' | 'dark' | 'system';
const KEY = 'cohort-theme';

function stored(): Choice {
  try {
    const value = localStorage.getItem(KEY);
    return value === 'light' || value === 'dark' ? value : 'system';
  } catch {
    return 'system'; // storage blocked: follow the system
  }
}

function store(choice: Choice): void {
  try {
    if (choice === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    // storage blocked: the choice lasts for this page only
  }
}

const systemDark = () => window.matchMedia('(prefers-color-scheme: dark)');

function resolved(choice: Choice): 'light' | 'dark' {
  return choice === 'system' ? (systemDark().matches ? 'dark' : 'light') : choice;
}

/** Applies the stored choice now (call before the first render, so nothing flashes). */
export function applyTheme(): void {
  document.documentElement.dataset['theme'] = resolved(stored());
}

/** The toggle for the top bar: switches between light and dark; follows the system until used. */
export function themeToggle(): HTMLElement {
  const button = h('button', { class: 'link theme-toggle', type: 'button' });
  const render = () => {
    const choice = stored();
    const theme = resolved(choice);
    document.documentElement.dataset['theme'] = theme;
    button.textContent = theme === 'dark' ? '☀' : '☾';
    const next = theme === 'dark' ? 'light' : 'dark';
    const label = `Switch to ${next} mode${choice === 'system' ? ' (now following your system)' : ''}`;
    button.title = label;
    button.setAttribute('aria-label', label);
    button.dataset['theme'] = theme;
  };
  button.addEventListener('click', () => {
    const next = resolved(stored()) === 'dark' ? 'light' : 'dark';
    // Picking what the system says anyway means "follow the system" again.
    store(next === (systemDark().matches ? 'dark' : 'light') ? 'system' : next);
    render();
  });
  systemDark().addEventListener('change', render);
  render();
  return button;
}
