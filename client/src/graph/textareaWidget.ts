// A multiline STRING widget (prompts): draws the wrapped text in a box on the node; a click
// opens a real <textarea> over it. Enter+Ctrl or leaving the box commits, Escape cancels.
import { LiteGraph, type LGraphNode } from '@comfyorg/litegraph';

const HEIGHT = 72;

export interface TextareaWidget {
  type: 'textarea';
  name: string;
  value: string;
  options: { multiline: true };
  y: number;
  computeSize(width?: number): [number, number];
  draw(ctx: CanvasRenderingContext2D, node: LGraphNode, width: number, y: number): void;
  mouse(e: { type: string }, pos: [number, number], node: LGraphNode): boolean;
}

/** Where to put the editor: the widget's box in page coordinates. */
export type ToScreen = (node: LGraphNode, x: number, y: number) => { left: number; top: number; scale: number };

let toScreen: ToScreen | undefined;
let onCommit: () => void = () => {};

export function setTextareaHost(fn: ToScreen, commit: () => void): void {
  toScreen = fn;
  onCommit = commit;
}

export function makeTextareaWidget(name: string, value: string): TextareaWidget {
  return {
    type: 'textarea',
    name,
    value,
    options: { multiline: true },
    y: 0,
    computeSize: (width = 200) => [width, HEIGHT],
    draw(ctx, node, width, y) {
      const x = 15;
      const w = width - 30;
      const h = HEIGHT - 4;
      ctx.save();
      ctx.fillStyle = LiteGraph.WIDGET_BGCOLOR;
      ctx.strokeStyle = LiteGraph.WIDGET_OUTLINE_COLOR;
      ctx.beginPath();
      ctx.roundRect(x, y, w, h, 6);
      ctx.fill();
      ctx.stroke();
      ctx.beginPath();
      ctx.rect(x + 2, y + 2, w - 4, h - 4);
      ctx.clip();
      ctx.font = '12px sans-serif';
      ctx.textAlign = 'left';
      ctx.fillStyle = LiteGraph.WIDGET_SECONDARY_TEXT_COLOR;
      ctx.fillText(this.name, x + 8, y + 14);
      ctx.fillStyle = this.value ? LiteGraph.WIDGET_TEXT_COLOR : '#777';
      const lines = wrapText(ctx, this.value || '(empty)', w - 16);
      lines.slice(0, 3).forEach((l, i) => ctx.fillText(l, x + 8, y + 30 + i * 14));
      ctx.restore();
      void node;
    },
    mouse(e, _pos, node) {
      if (e.type === 'pointerdown' || e.type === 'mousedown') openEditor(this, node);
      return true;
    },
  };
}

function wrapText(ctx: CanvasRenderingContext2D, text: string, width: number): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      const next = line ? `${line} ${word}` : word;
      if (line && ctx.measureText(next).width > width) {
        out.push(line);
        line = word;
      } else line = next;
    }
    out.push(line);
  }
  return out;
}

function openEditor(widget: TextareaWidget, node: LGraphNode): void {
  if (!toScreen || document.querySelector('textarea.svdiff-widget-editor')) return;
  const at = toScreen(node, 15, widget.y);
  const ta = document.createElement('textarea');
  ta.className = 'svdiff-widget-editor';
  ta.value = widget.value;
  ta.dataset.widget = widget.name;
  Object.assign(ta.style, {
    position: 'fixed',
    left: `${at.left}px`,
    top: `${at.top}px`,
    width: `${Math.max(220, (node.size[0] - 30) * at.scale)}px`,
    height: `${Math.max(90, (HEIGHT - 4) * at.scale)}px`,
    zIndex: '60',
  });
  let done = false;
  const finish = (commit: boolean) => {
    if (done) return;
    done = true;
    if (commit && ta.value !== widget.value) {
      widget.value = ta.value;
      node.setDirtyCanvas(true, true);
      onCommit();
    }
    ta.remove();
  };
  ta.addEventListener('blur', () => finish(true));
  ta.addEventListener('keydown', (e) => {
    e.stopPropagation();
    if (e.key === 'Escape') finish(false);
    else if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) finish(true);
  });
  document.body.appendChild(ta);
  // Focus after the pointer sequence that opened it, so the canvas does not take focus back.
  setTimeout(() => ta.focus(), 0);
}
