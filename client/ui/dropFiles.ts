// Files dragged from the desktop onto an element: highlighted (`dragging`) while over it, handed
// on when dropped. The list page (import) and the Files panel (upload) use it.
export function onDroppedFiles(target: HTMLElement, take: (files: File[]) => void): void {
  target.addEventListener('dragover', (event) => {
    event.preventDefault();
    target.classList.add('dragging');
  });
  target.addEventListener('dragleave', () => target.classList.remove('dragging'));
  target.addEventListener('drop', (event) => {
    event.preventDefault();
    target.classList.remove('dragging');
    take([...(event.dataTransfer?.files ?? [])]);
  });
}
