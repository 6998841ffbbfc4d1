// The canvas's node search box (double-click on the canvas, or a link released on the canvas
// with Shift or through its menu's Search): a text box at the pointer listing the matching
// node types (graph/nodeSearch.ts), only those a released link can plug into. Arrows move
// the selection, Enter or a click adds the node, Escape or a press outside closes it. It
// keeps litegraph's class names (litesearchbox, lite-search-item) so the look stays familiar.
import { searchNodes } from './nodeSearch.ts';

export interface SearchBoxOptions {
  /** Where the pointer is (page coordinates); the box opens there. */
  clientX: number;
  clientY: number;
  /** Only node types with an input this type connects to (a link from an output). */
  inputType?: string;
  /** Only node types with an output of this type (a link from an input). */
  outputType?: string;
  onPick(type: string): void;
  onClose?(): void;
}

export interface SearchBox {
  el: HTMLElement;
  close(): void;
}

const WIDTH = 340;
const MAX_ITEMS = 60;

let open: SearchBox | undefined;

export function closeSearchBox(): void {
  open?.close();
}

export function openSearchBox(o: SearchBoxOptions): SearchBox {
  closeSearchBox();
  const box = document.createElement('div');
  box.className = 'litegraph litesearchbox graphdialog rounded svdiff-search';
  box.dataset.testid = 'canvas-search';
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = 'Search';
  const input = document.createElement('input');
  input.type = 'text';
  input.className = 'value rounded';
  input.placeholder = 'node name…';
  input.autocomplete = 'off';
  input.spellcheck = false;
  box.append(name, input);
  const type = o.inputType ?? o.outputType;
  if (type) {
    // What the list is filtered by: "IMAGE →" (needs an IMAGE input) or "→ LATENT".
    const tag = document.createElement('span');
    tag.className = 'svdiff-search-type';
    tag.dataset.testid = 'canvas-search-type';
    tag.textContent = o.inputType ? `${o.inputType} →` : `→ ${o.outputType}`;
    box.append(tag);
  }
  const helper = document.createElement('div');
  helper.className = 'helper';
  box.append(helper);

  let items: HTMLElement[] = [];
  let selected = 0;
  const select = (i: number) => {
    items[selected]?.classList.remove('selected');
    selected = Math.max(0, Math.min(items.length - 1, i));
    items[selected]?.classList.add('selected');
    items[selected]?.scrollIntoView?.({ block: 'nearest' });
  };
  const refresh = () => {
    helper.textContent = '';
    const found = searchNodes(input.value, { inputType: o.inputType, outputType: o.outputType, limit: MAX_ITEMS });
    items = found.map((def) => {
      const item = document.createElement('div');
      item.className = 'litegraph lite-search-item';
      item.dataset.type = def.name;
      item.textContent = def.display_name || def.name;
      const cat = document.createElement('span');
      cat.className = 'litegraph lite-search-item-type';
      cat.textContent = def.category || def.name;
      item.append(cat);
      item.addEventListener('pointerenter', () => select(items.indexOf(item)));
      item.addEventListener('click', () => pick(def.name));
      helper.append(item);
      return item;
    });
    if (items.length === 0) {
      const empty = document.createElement('div');
      empty.className = 'svdiff-search-empty';
      empty.textContent = type ? `No node takes ${type} and matches` : 'No matching node';
      helper.append(empty);
    }
    selected = 0;
    items[0]?.classList.add('selected');
  };

  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    document.removeEventListener('pointerdown', outside, true);
    box.remove();
    if (open === self) open = undefined;
    o.onClose?.();
  };
  const pick = (t: string) => {
    close();
    o.onPick(t);
  };
  const outside = (e: Event) => {
    if (!box.contains(e.target as Node)) close();
  };
  input.addEventListener('input', refresh);
  input.addEventListener('keydown', (e) => {
    e.stopPropagation(); // text, not canvas shortcuts
    if (e.key === 'ArrowDown') select(selected + 1);
    else if (e.key === 'ArrowUp') select(selected - 1);
    else if (e.key === 'Enter') {
      const t = items[selected]?.dataset.type;
      if (t) pick(t);
      else close();
    } else if (e.key === 'Escape') close();
    else return;
    e.preventDefault();
  });
  document.addEventListener('pointerdown', outside, true);

  // At the pointer, kept inside the window.
  const left = Math.max(4, Math.min(o.clientX - 20, window.innerWidth - WIDTH - 4));
  const top = Math.max(4, Math.min(o.clientY - 18, window.innerHeight - 320));
  Object.assign(box.style, { position: 'fixed', left: `${left}px`, top: `${top}px`, width: `${WIDTH}px`, zIndex: '60' });
  document.body.append(box);
  refresh();
  const self: SearchBox = { el: box, close };
  open = self;
  // After the pointer sequence that opened it (the canvas would take focus back).
  setTimeout(() => !closed && input.focus(), 0);
  input.focus();
  return self;
}
