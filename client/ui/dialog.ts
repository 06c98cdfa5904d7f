// A modal dialog (the native <dialog>): a title, content, and a Close button; removed from the
// page once closed, so every opening starts fresh.
import { h } from '../dom.ts';

export interface ModalOptions {
  title: string;
  className?: string;
  content: (HTMLElement | null | false)[];
  /** Extra buttons beside Close, in the dialog's footer. */
  actions?: HTMLElement[];
  onClose?(): void;
}

export interface Modal {
  readonly element: HTMLDialogElement;
  close(): void;
}

export function openModal(options: ModalOptions): Modal {
  const dialog = h('dialog', { class: `modal ${options.className ?? ''}`.trim(), 'aria-label': options.title });
  const closeButton = h('button', { type: 'button', class: 'modal-close', onclick: () => dialog.close() }, 'Close');
  dialog.append(
    h('h2', { class: 'modal-title' }, options.title),
    ...options.content.filter((part): part is HTMLElement => Boolean(part)),
    h('div', { class: 'dialog-actions' }, ...(options.actions ?? []), closeButton),
  );
  dialog.addEventListener('close', () => {
    dialog.remove();
    options.onClose?.();
  });
  document.body.append(dialog);
  dialog.showModal();
  return { element: dialog, close: () => dialog.close() };
}
