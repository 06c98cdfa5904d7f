// A drop-down menu that always opens inside the viewport. The panel is placed with fixed
// coordinates measured when it opens — under its button, right-aligned, then moved left or up as
// far as needed — so a button near an edge (a wrapped toolbar, a phone screen) cannot push it off
// screen. It follows its button when the page scrolls or resizes (closing once the button has left
// the viewport), and closes on Escape, on a click outside, and after an item ran.
import { h } from '../dom.ts';

export interface DropdownOptions {
  /** What the button shows (text or an icon element). */
  label: string | Node;
  /** Tooltip and accessible name of the button. */
  title: string;
  className?: string;
  /** The panel's content; `close` closes the menu (items call it after acting). */
  build(close: () => void): (HTMLElement | null | false)[];
}

const MARGIN = 8;

export function dropdown(options: DropdownOptions): HTMLDetailsElement {
  const summary = h('summary', { class: 'button menu-button', title: options.title, 'aria-label': options.title, role: 'button' }, options.label);
  const panel = h('div', { class: 'menu-panel', role: 'menu' });
  const menu = h('details', { class: `menu ${options.className ?? ''}`.trim() }, summary, panel);
  const close = () => {
    menu.open = false;
  };

  const place = () => {
    panel.style.maxHeight = '';
    const anchor = summary.getBoundingClientRect();
    const width = panel.offsetWidth;
    const height = panel.offsetHeight;
    const left = Math.max(MARGIN, Math.min(anchor.right - width, window.innerWidth - width - MARGIN));
    let top = anchor.bottom + 4;
    const room = window.innerHeight - top - MARGIN;
    if (height > room && anchor.top - 4 - height >= MARGIN) top = anchor.top - 4 - height; // open upwards
    else if (height > room) panel.style.maxHeight = `${Math.max(120, room)}px`;
    panel.style.left = `${Math.round(left)}px`;
    panel.style.top = `${Math.round(top)}px`;
  };

  const onOutside = (event: Event) => {
    if (!menu.contains(event.target as Node)) close();
  };
  // Not "close on scroll": a page that shifts under an open menu (a notice going away, content
  // arriving) scrolls too, and would shut the menu while someone reaches for an item.
  const follow = (event: Event) => {
    if (event.target instanceof Node && panel.contains(event.target)) return; // the panel's own scrolling
    const anchor = summary.getBoundingClientRect();
    if (anchor.bottom < 0 || anchor.top > window.innerHeight) close();
    else place();
  };
  const onKey = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      close();
      summary.focus();
    }
  };
  menu.addEventListener('toggle', () => {
    if (menu.open) {
      panel.replaceChildren(...options.build(close).filter((item): item is HTMLElement => Boolean(item)));
      place();
      document.addEventListener('pointerdown', onOutside, true);
      document.addEventListener('keydown', onKey, true);
      window.addEventListener('scroll', follow, { capture: true, passive: true });
      window.addEventListener('resize', follow);
    } else {
      document.removeEventListener('pointerdown', onOutside, true);
      document.removeEventListener('keydown', onKey, true);
      window.removeEventListener('scroll', follow, { capture: true });
      window.removeEventListener('resize', follow);
    }
  });
  return menu;
}

/** A menu item: a full-width button that runs `action` and closes the menu. */
export function menuItem(label: string, action: () => void, close: () => void, attrs: Record<string, string> = {}): HTMLButtonElement {
  return h(
    'button',
    {
      ...attrs,
      class: `menu-item ${attrs['class'] ?? ''}`.trim(),
      role: 'menuitem',
      type: 'button',
      onclick: () => {
        close();
        action();
      },
    },
    label,
  );
}

export function menuSeparator(): HTMLElement {
  return h('hr', { class: 'menu-separator' });
}
