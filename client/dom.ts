// A tiny element builder and the page's message line; plain DOM keeps the bundle small.
type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | boolean | number | EventListener | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      element.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'class') {
      element.className = String(value);
    } else if (value === true) {
      element.setAttribute(key, '');
    } else {
      element.setAttribute(key, String(value));
    }
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

/** Shows a message in the page's status line; errors stay until dismissed or replaced. */
export function notify(message: string, kind: 'error' | 'info' = 'error'): void {
  const line = document.getElementById('message');
  if (!line) {
    console.error(message);
    return;
  }
  line.replaceChildren(
    h('span', { class: 'message-text' }, message),
    h('button', { class: 'link', 'aria-label': 'Dismiss', onclick: () => line.replaceChildren() }, '×'),
  );
  line.className = `message ${kind}`;
  if (kind === 'info') {
    setTimeout(() => {
      if (line.firstChild?.textContent === message) line.replaceChildren();
    }, 3000);
  }
}

export function clearNotice(): void {
  document.getElementById('message')?.replaceChildren();
}

/** Runs an async action and reports its failure to the user instead of losing it. */
export function attempt(action: () => Promise<unknown>, context: string): void {
  action().catch((error: unknown) => {
    const text = error instanceof Error ? error.message : String(error);
    notify(`${context}: ${text}`);
  });
}

export function download(url: string): void {
  const link = h('a', { href: url, download: '' });
  document.body.append(link);
  link.click();
  link.remove();
}

/**
 * Puts `children` into `parent` in order, moving only nodes that are out of place. Unlike
 * replaceChildren, a node that stays put is never detached, so focus inside it (an editor someone
 * is typing in, a widget's text box) survives other people's inserts and deletes.
 */
export function placeChildren(parent: Element, children: readonly Element[]): void {
  const wanted = new Set<Node>(children);
  for (const node of [...parent.childNodes]) if (!wanted.has(node)) node.remove();
  children.forEach((child, index) => {
    const current = parent.children[index];
    if (current !== child) parent.insertBefore(child, current ?? null);
  });
}
