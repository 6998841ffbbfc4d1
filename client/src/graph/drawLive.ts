// Draws a node's live state on the canvas: running outline, error outline and message,
// offending inputs, a loss curve for training nodes, and its images (outputs/previews).
import { LiteGraph, type LGraphNode } from '@comfyorg/litegraph';
import { getLive, type NodeLive } from './live.ts';
import { loadImage } from './imageCache.ts';

const RUNNING = '#4caf50';
const ERROR = '#ff5252';
const CHART_H = 90;

type W = { name: string; y?: number; computedHeight?: number };

const MODE_OVERLAY: Record<number, string> = { 2: 'rgba(20,20,20,0.55)', 4: 'rgba(150,60,200,0.35)' };

export function drawLive(node: LGraphNode, ctx: CanvasRenderingContext2D): void {
  const [w, h] = node.size;
  const th = LiteGraph.NODE_TITLE_HEIGHT;
  const overlay = MODE_OVERLAY[node.mode as number];
  if (overlay) {
    // Muted nodes are dimmed, bypassed ones purple, as in ComfyUI.
    ctx.save();
    ctx.fillStyle = overlay;
    ctx.beginPath();
    ctx.roundRect(0, -th, w, node.flags?.collapsed ? th : h + th, 8);
    ctx.fill();
    ctx.restore();
  }
  const live = getLive(node.id);
  if (!live || node.flags?.collapsed) return;
  ctx.save();
  let y = contentBottom(node);
  if (live.loss && live.loss.length > 0) {
    drawLoss(ctx, live.loss, 8, y + 4, w - 16, CHART_H);
    y += CHART_H + 8;
  }
  if (live.images && live.images.length > 0) drawImages(ctx, live.images, 4, y + 4, w - 8, h - y - 8);
  if (live.inputErrors) drawInputErrors(node, ctx, live);
  if (live.running || live.error || live.inputErrors) {
    ctx.lineWidth = live.running ? 3 : 2;
    ctx.strokeStyle = live.running ? RUNNING : ERROR;
    ctx.beginPath();
    ctx.roundRect(-3, -th - 3, w + 6, h + th + 6, 10);
    ctx.stroke();
  }
  const message = live.error ?? live.inputErrors?.get('');
  if (message) drawMessage(ctx, message, 0, h + 8, Math.max(w, 220));
  ctx.restore();
}

/** Y (node-local) just below the last widget, or below the slots when there are none. */
export function contentBottom(node: LGraphNode): number {
  const widgets = node.widgets as unknown as W[] | undefined;
  if (widgets && widgets.length > 0) {
    const last = widgets[widgets.length - 1];
    return (last.y ?? 0) + (last.computedHeight ?? LiteGraph.NODE_WIDGET_HEIGHT + 4);
  }
  const rows = Math.max(node.inputs?.length ?? 0, node.outputs?.length ?? 0);
  return rows * LiteGraph.NODE_SLOT_HEIGHT + 6;
}

function drawInputErrors(node: LGraphNode, ctx: CanvasRenderingContext2D, live: NodeLive): void {
  ctx.strokeStyle = ERROR;
  ctx.fillStyle = ERROR;
  ctx.lineWidth = 2;
  for (const name of live.inputErrors!.keys()) {
    if (!name) continue;
    const widget = (node.widgets as unknown as W[] | undefined)?.find((x) => x.name === name);
    const slotIndex = node.inputs?.findIndex((i) => i.name === name) ?? -1;
    const slot = slotIndex >= 0 ? node.inputs[slotIndex] : undefined;
    if (widget && !(slot?.link != null)) {
      ctx.beginPath();
      ctx.roundRect(10, widget.y ?? 0, node.size[0] - 20, LiteGraph.NODE_WIDGET_HEIGHT, 6);
      ctx.stroke();
    } else if (slotIndex >= 0) {
      const pos = node.getInputPos(slotIndex);
      ctx.beginPath();
      ctx.arc(pos[0] - node.pos[0], pos[1] - node.pos[1], 7, 0, Math.PI * 2);
      ctx.stroke();
    }
  }
}

function drawMessage(ctx: CanvasRenderingContext2D, text: string, x: number, y: number, width: number): void {
  ctx.font = '12px sans-serif';
  const lines = wrap(ctx, text, width - 12).slice(0, 6);
  const lh = 15;
  ctx.fillStyle = 'rgba(80,16,16,0.92)';
  ctx.beginPath();
  ctx.roundRect(x, y, width, lines.length * lh + 10, 6);
  ctx.fill();
  ctx.fillStyle = '#ffdada';
  ctx.textAlign = 'left';
  lines.forEach((l, i) => ctx.fillText(l, x + 6, y + 16 + i * lh));
}

function wrap(ctx: CanvasRenderingContext2D, text: string, width: number): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      const next = line ? `${line} ${word}` : word;
      if (ctx.measureText(next).width > width && line) {
        out.push(line);
        line = word;
      } else line = next;
    }
    out.push(line);
  }
  return out;
}

function drawLoss(ctx: CanvasRenderingContext2D, loss: number[], x: number, y: number, w: number, h: number): void {
  ctx.fillStyle = 'rgba(0,0,0,0.35)';
  ctx.fillRect(x, y, w, h);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of loss) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi - lo || 1;
  const n = loss.length;
  const line = (values: number[], color: string, width: number) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.beginPath();
    for (let i = 0; i < n; i++) {
      const px = x + (n === 1 ? w / 2 : (i / (n - 1)) * w);
      const py = y + h - 4 - ((values[i] - lo) / span) * (h - 18);
      if (i === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    }
    ctx.stroke();
  };
  // Diffusion losses are noisy step to step: the raw curve faint, a moving average on top.
  const smooth = ema(loss, Math.min(0.3, 8 / n));
  line(loss, 'rgba(255,183,77,0.35)', 1);
  line(smooth, '#ffb74d', 2);
  ctx.fillStyle = '#ddd';
  ctx.font = '11px sans-serif';
  ctx.textAlign = 'left';
  ctx.fillText(`loss ${smooth[n - 1].toPrecision(3)} (avg)  step ${n}`, x + 4, y + 12);
}

/** Exponential moving average, seeded with the first value. */
export function ema(values: number[], alpha: number): number[] {
  const out: number[] = [];
  let m = values[0] ?? 0;
  for (const v of values) out.push((m = m + alpha * (v - m)));
  return out;
}

function drawImages(ctx: CanvasRenderingContext2D, urls: string[], x: number, y: number, w: number, h: number): void {
  if (w < 10 || h < 10) return;
  const n = urls.length;
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const cw = w / cols;
  const ch = h / rows;
  urls.forEach((url, i) => {
    const img = loadImage(url);
    if (!img.complete || img.naturalWidth === 0) return;
    const s = Math.min(cw / img.naturalWidth, ch / img.naturalHeight);
    const dw = img.naturalWidth * s;
    const dh = img.naturalHeight * s;
    const cx = x + (i % cols) * cw + (cw - dw) / 2;
    const cy = y + Math.floor(i / cols) * ch + (ch - dh) / 2;
    ctx.drawImage(img, cx, cy, dw, dh);
  });
}
