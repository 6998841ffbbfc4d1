// In-place title editing (ComfyUI: double-click a node's or a group's title): an <input> laid
// over the title bar at the canvas's zoom. Enter or leaving the box commits a non-empty title,
// Escape cancels. One editor at a time.

export interface TitleEditorOptions {
  /** The title bar in page (client) coordinates. */
  rect: { left: number; top: number; width: number; height: number };
  /** Font size in CSS pixels (the title's, at the current zoom). */
  fontPx: number;
  value: string;
  /** Called with the trimmed new title when it is not empty and differs. */
  commit(title: string): void;
  onClose?(): void;
}

let current: { close(commit: boolean): void } | undefined;

/** Closes the open editor, if any (committing its text when `commit`). */
export function closeTitleEditor(commit = true): void {
  current?.close(commit);
}

export function openTitleEditor(o: TitleEditorOptions): HTMLInputElement {
  closeTitleEditor(true);
  const input = document.createElement('input');
  input.type = 'text';
  input.className = 'svdiff-title-editor';
  input.dataset.testid = 'title-editor';
  input.value = o.value;
  const height = Math.max(20, o.rect.height);
  Object.assign(input.style, {
    position: 'fixed',
    left: `${o.rect.left}px`,
    top: `${o.rect.top + (o.rect.height - height) / 2}px`,
    width: `${Math.max(120, o.rect.width)}px`,
    height: `${height}px`,
    fontSize: `${Math.max(11, Math.min(40, o.fontPx))}px`,
    zIndex: '70',
  });
  let done = false;
  const close = (commit: boolean) => {
    if (done) return;
    done = true;
    current = undefined;
    const title = input.value.trim();
    input.remove();
    if (commit && title && title !== o.value) o.commit(title);
    o.onClose?.();
  };
  current = { close };
  input.addEventListener('keydown', (e) => {
    // Keys typed here are text, not canvas shortcuts.
    e.stopPropagation();
    if (e.key === 'Enter') {
      e.preventDefault();
      close(true);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      close(false);
    }
  });
  input.addEventListener('blur', () => close(true));
  // Keys typed before the deferred focus below runs must not be selected over and replaced.
  let typed = false;
  input.addEventListener('input', () => (typed = true));
  document.body.appendChild(input);
  input.focus();
  input.select();
  // Again after the pointer sequence that opened it, in case the canvas took focus back.
  setTimeout(() => {
    if (done || document.activeElement === input) return;
    input.focus();
    if (!typed) input.select();
  }, 0);
  return input;
}
