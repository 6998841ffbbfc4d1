// Builds a litegraph node class from one /api/object_info definition: typed sockets,
// widgets with defaults and ranges, one input slot per widget (so any widget can take a
// link), a seed control after seed-like INTs, and live drawing (progress, errors, images,
// loss curve).
import { LGraphNode, LiteGraph } from '@comfyorg/litegraph';
import type { NodeDef } from '../api/types.ts';
import { CONTROL_VALUES, hasControlAfterGenerate, orderedInputs, type InputInfo } from './nodeSpec.ts';
import { slotColor } from './slotColors.ts';
import { drawLive } from './drawLive.ts';
import { getLive } from './live.ts';
import { makeTextareaWidget } from './textareaWidget.ts';

export interface NodeEnv {
  /** URL of an image in the data folder's input/ (LoadImage preview). */
  inputImageUrl(name: string): string;
  /** Opens a file chooser and uploads into the node's image combo. */
  requestUpload(node: LGraphNode, widgetName: string): void;
  /** Default for new seed controls (settings). */
  defaultControl(): string;
  /** Shows the LoadImage selection on the node. */
  showInputImage(node: LGraphNode, name: string): void;
}

export const CONTROL_WIDGET = 'control_after_generate';
export const UPLOAD_WIDGET = 'upload';
/** ComfyUI's property naming a node's class in every saved workflow. */
export const SR_PROPERTY = 'Node name for S&R';

type AnyWidget = { name: string; type: string; value: unknown; options: Record<string, unknown>; serialize?: boolean; label?: string; tooltip?: string };

export function makeNodeClass(def: NodeDef, env: NodeEnv): typeof LGraphNode {
  const inputs = orderedInputs(def);
  const sockets = inputs.filter((i) => !i.widget);
  const widgets = inputs.filter((i) => i.widget);

  class StudioNode extends LGraphNode {
    static override title = def.display_name || def.name;
    static comfyClass = def.name;
    static nodeData = def;

    constructor(title?: string) {
      super(title ?? def.display_name ?? def.name);
      this.serialize_widgets = true;
      // ComfyUI's one node property: the node's class, kept for search-and-replace. It also
      // gives the node menu's Properties submenu and Properties Panel something to list.
      this.addProperty(SR_PROPERTY, def.name, 'string');
      for (const s of sockets) {
        const slot = this.addInput(s.name, s.type);
        colourSlot(slot, s.type);
        if (s.options.tooltip) (slot as { tooltip?: string }).tooltip = String(s.options.tooltip);
      }
      for (const w of widgets) {
        addWidgetFor(this, w, env);
        const slot = this.addInput(w.name, w.type, { widget: { name: w.name } });
        colourSlot(slot, w.type);
      }
      def.output.forEach((type, i) => {
        const slot = this.addOutput(def.output_name?.[i] ?? type, type);
        colourSlot(slot, type);
      });
      if (def.output_node) this.color = '#2a4a3a';
      const size = this.computeSize();
      this.size = [Math.max(size[0], 280), size[1]];
    }

    // litegraph writes widgets_values at each widget's index, leaving holes where a widget
    // is not serialised (the upload button); configure() reads them densely. Keep them dense.
    override onSerialize(o: { widgets_values?: unknown[] }): void {
      if (!this.widgets) return;
      o.widgets_values = (this.widgets as unknown as AnyWidget[]).filter((w) => w.serialize !== false).map((w) => w.value);
    }

    override onAdded(): void {
      this.onConfigure();
    }

    override onConfigure(): void {
      const img = (this.widgets as unknown as AnyWidget[] | undefined)?.find((w) => w.options?.image_upload);
      if (img && typeof img.value === 'string' && img.value) env.showInputImage(this, img.value);
    }

    // litegraph's changeMode knows no bypass (4); the context menu's "Bypass" needs it.
    override changeMode(modeTo: number): boolean {
      if (modeTo !== 4) return super.changeMode(modeTo as never);
      this.mode = 4 as never;
      return true;
    }

    /** Output/preview images: open or download from the node's context menu. */
    override getExtraMenuOptions(): { content: string; callback: () => void }[] {
      const images = getLive(this.id)?.images ?? [];
      if (images.length === 0) return [];
      return [
        { content: 'Open image', callback: () => void window.open(images[0], '_blank') },
        { content: 'Download image', callback: () => downloadUrl(images[0]) },
      ];
    }

    override onDrawForeground(ctx: CanvasRenderingContext2D): void {
      drawLive(this, ctx);
    }
  }
  return StudioNode;
}

function colourSlot(slot: { color_on?: unknown; color_off?: unknown }, type: string): void {
  const c = slotColor(type);
  slot.color_on = c;
  slot.color_off = c;
}

function addWidgetFor(node: LGraphNode, info: InputInfo, env: NodeEnv): void {
  const o = info.options;
  const tooltip = typeof o.tooltip === 'string' ? o.tooltip : undefined;
  let w: AnyWidget;
  switch (info.widget) {
    case 'INT': {
      const step = typeof o.step === 'number' ? o.step : 1;
      w = node.addWidget('number', info.name, num(o.default, 0), () => {}, {
        min: num(o.min, -Number.MAX_SAFE_INTEGER),
        max: num(o.max, Number.MAX_SAFE_INTEGER),
        step2: step,
        precision: 0,
        round: step,
      } as never) as unknown as AnyWidget;
      break;
    }
    case 'FLOAT': {
      const step = typeof o.step === 'number' ? o.step : 0.01;
      w = node.addWidget('number', info.name, num(o.default, 0), () => {}, {
        min: num(o.min, -Infinity),
        max: num(o.max, Infinity),
        step2: step,
        precision: decimals(step),
        round: step,
      } as never) as unknown as AnyWidget;
      break;
    }
    case 'BOOLEAN':
      w = node.addWidget('toggle', info.name, o.default === true, () => {}, { on: 'true', off: 'false' }) as unknown as AnyWidget;
      break;
    case 'COMBO': {
      const values = info.values ?? [];
      const dflt = typeof o.default === 'string' ? o.default : values[0] ?? '';
      const upload = o.image_upload === true;
      w = node.addWidget('combo', info.name, dflt, (v: unknown) => upload && env.showInputImage(node, String(v)), {
        values,
        image_upload: upload || undefined,
      } as never) as unknown as AnyWidget;
      if (upload) {
        const btn = node.addWidget('button', UPLOAD_WIDGET, 'choose file to upload', () => env.requestUpload(node, info.name), {}) as unknown as AnyWidget;
        btn.serialize = false;
        btn.label = 'choose file to upload';
      }
      break;
    }
    default: {
      const value = typeof o.default === 'string' ? o.default : '';
      if (o.multiline === true) w = node.addCustomWidget(makeTextareaWidget(info.name, value) as never) as unknown as AnyWidget;
      else w = node.addWidget('text', info.name, value, () => {}, {}) as unknown as AnyWidget;
    }
  }
  if (tooltip) w.tooltip = tooltip;
  if (hasControlAfterGenerate(info)) {
    const c = node.addWidget('combo', CONTROL_WIDGET, env.defaultControl(), () => {}, { values: [...CONTROL_VALUES] }) as unknown as AnyWidget;
    c.label = 'control after generate';
  }
  // The upload button was added after its combo; move it to the end so serialised widgets
  // stay in definition order even for readers that do not skip it.
  const list = node.widgets as unknown as AnyWidget[];
  const bi = list.findIndex((x) => x.name === UPLOAD_WIDGET);
  if (bi >= 0 && bi !== list.length - 1) list.push(...list.splice(bi, 1));
}

function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function decimals(step: number): number {
  const s = String(step);
  const i = s.indexOf('.');
  return i < 0 ? 0 : Math.min(6, s.length - i - 1);
}

export { LiteGraph };

/** Saves an image URL under its `filename` (from /api/view) or the URL's last part. */
function downloadUrl(url: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = new URL(url, location.href).searchParams.get('filename') ?? url.split('/').pop() ?? 'image.png';
  a.click();
}
