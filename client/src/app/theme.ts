// Light and dark: the app's colours are CSS variables (style.css, switched by
// <html data-theme>); litegraph draws the canvas from its own globals, set here.
import { LGraphCanvas, LiteGraph } from '@comfyorg/litegraph';
import type { Theme } from '../stores/settings.ts';
import type { StudioCanvas } from '../graph/studioCanvas.ts';

interface CanvasPalette {
  background: string;
  /** Grid drawn over the background; undefined: litegraph's own (dark) grid. */
  grid?: string;
  globals: Partial<Record<keyof typeof LiteGraph, string>>;
}

const lightGrid = `data:image/svg+xml;utf8,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><path d="M0 0H100M0 0V100" stroke="#c8c8c8" stroke-width="2"/><path d="M0 50H100M50 0V100M0 25H100M0 75H100M25 0V100M75 0V100" stroke="#dcdcdc" stroke-width="1"/></svg>',
)}`;

export const CANVAS_PALETTES: Record<Theme, CanvasPalette> = {
  dark: {
    background: '#1e1e1e',
    globals: {
      NODE_DEFAULT_BGCOLOR: '#353535',
      NODE_DEFAULT_COLOR: '#2b2b2b',
      NODE_DEFAULT_BOXCOLOR: '#666',
      NODE_TITLE_COLOR: '#ddd',
      NODE_SELECTED_TITLE_COLOR: '#fff',
      NODE_TEXT_COLOR: '#aaa',
      NODE_TEXT_HIGHLIGHT_COLOR: '#eee',
      NODE_BOX_OUTLINE_COLOR: '#fff',
      DEFAULT_SHADOW_COLOR: 'rgba(0,0,0,0.5)',
      WIDGET_BGCOLOR: '#222',
      WIDGET_OUTLINE_COLOR: '#555',
      WIDGET_TEXT_COLOR: '#ddd',
      WIDGET_SECONDARY_TEXT_COLOR: '#999',
      LINK_COLOR: '#9a9',
    },
  },
  light: {
    background: '#eeeeee',
    grid: lightGrid,
    globals: {
      NODE_DEFAULT_BGCOLOR: '#f7f7f7',
      NODE_DEFAULT_COLOR: '#e2e2e2',
      NODE_DEFAULT_BOXCOLOR: '#888',
      NODE_TITLE_COLOR: '#222',
      NODE_SELECTED_TITLE_COLOR: '#000',
      NODE_TEXT_COLOR: '#444',
      NODE_TEXT_HIGHLIGHT_COLOR: '#000',
      NODE_BOX_OUTLINE_COLOR: '#000',
      DEFAULT_SHADOW_COLOR: 'rgba(0,0,0,0.12)',
      WIDGET_BGCOLOR: '#e4e4e4',
      WIDGET_OUTLINE_COLOR: '#aaa',
      WIDGET_TEXT_COLOR: '#222',
      WIDGET_SECONDARY_TEXT_COLOR: '#666',
      LINK_COLOR: '#4a8a4a',
    },
  },
};

/** Switches the page and, when there is one, the canvas to `theme`. */
export function applyTheme(theme: Theme, studio?: StudioCanvas): void {
  document.documentElement.dataset.theme = theme;
  const palette = CANVAS_PALETTES[theme];
  Object.assign(LiteGraph, palette.globals);
  if (!studio) return;
  const canvas = studio.canvas as LGraphCanvas & { _pattern?: unknown };
  canvas.clear_background_color = palette.background;
  const grid = palette.grid ?? LGraphCanvas.DEFAULT_BACKGROUND_IMAGE;
  if (canvas.background_image !== grid) {
    canvas.background_image = grid;
    canvas._pattern = undefined; // litegraph keeps the old pattern otherwise
  }
  canvas.setDirty(true, true);
}
