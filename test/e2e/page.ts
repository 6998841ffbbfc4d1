// Helpers that drive the studio page like a user (mouse and keyboard), plus read-only
// probes of the canvas (where a node or socket is on screen, what a node shows).
import type { Page } from 'playwright-core';

// Browser globals used inside page.evaluate callbacks (the root tsconfig has no DOM lib).
declare const window: any, document: any, DataTransfer: any, DragEvent: any;

export interface NodeInfo {
  id: number;
  type: string;
  title: string;
  widgets: Record<string, unknown>;
  inputs: { name: string; link: number | null }[];
  live: { running?: boolean; progress?: number; error?: string; images?: string[]; inputErrors?: [string, string][] } | null;
}

/** All nodes on the canvas with their widget values and live state. */
export function nodes(page: Page): Promise<NodeInfo[]> {
  return page.evaluate(() => {
    const s = (window as never as { svdiff: { studio: any; live: (id: unknown) => any } }).svdiff;
    return s.studio.graph.nodes.map((n: any) => {
      const live = s.live(n.id);
      return {
        id: n.id,
        type: n.type,
        title: n.title,
        widgets: Object.fromEntries((n.widgets ?? []).map((w: any) => [w.name, w.value])),
        inputs: (n.inputs ?? []).map((i: any) => ({ name: i.name, link: i.link })),
        live: live ? { ...live, inputErrors: live.inputErrors ? [...live.inputErrors.entries()] : undefined } : null,
      };
    });
  });
}

export async function nodeOfType(page: Page, type: string): Promise<NodeInfo> {
  const n = (await nodes(page)).find((x) => x.type === type);
  if (!n) throw new Error(`no ${type} node on the canvas`);
  return n;
}

type Where = { title: true } | { output: number } | { input: number };

/** Screen position of a node's title bar or one of its sockets. */
export function screenPos(page: Page, id: number, where: Where): Promise<[number, number]> {
  return page.evaluate(
    ([id, where]) => {
      const s = (window as never as { svdiff: { studio: any } }).svdiff.studio;
      const n = s.graph.getNodeById(id);
      let p: [number, number];
      if ('output' in where) p = n.getOutputPos(where.output);
      else if ('input' in where) p = n.getInputPos(where.input);
      else p = [n.pos[0] + 60, n.pos[1] - 15];
      const r = s.canvas.canvas.getBoundingClientRect();
      const ds = s.canvas.ds;
      return [(p[0] + ds.offset[0]) * ds.scale + r.left, (p[1] + ds.offset[1]) * ds.scale + r.top] as [number, number];
    },
    [id, where] as const,
  );
}

export async function drag(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  await page.mouse.move(from[0], from[1]);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) await page.mouse.move(from[0] + ((to[0] - from[0]) * i) / 8, from[1] + ((to[1] - from[1]) * i) / 8);
  await page.mouse.up();
}

/** Drags a node by its title so its top-left lands near screen point `to`. */
export async function moveNode(page: Page, id: number, to: [number, number]): Promise<void> {
  const from = await screenPos(page, id, { title: true });
  await drag(page, from, [to[0] + 60, to[1]]);
}

/** Drags a link from an output socket to an input socket. */
export async function connect(page: Page, fromId: number, output: number, toId: number, input: number): Promise<void> {
  await drag(page, await screenPos(page, fromId, { output }), await screenPos(page, toId, { input }));
}

/** Drops a file (given as bytes) onto the canvas at a screen point. */
export async function dropFile(page: Page, at: [number, number], bytes: Uint8Array, name: string, mime: string): Promise<void> {
  await page.evaluate(
    ([at, data, name, mime]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(data)], name, { type: mime }));
      const target = document.querySelector('[data-testid="canvas-wrap"]')!;
      for (const type of ['dragover', 'drop']) {
        target.dispatchEvent(new DragEvent(type, { dataTransfer: dt, clientX: at[0], clientY: at[1], bubbles: true, cancelable: true }));
      }
    },
    [at, [...bytes], name, mime] as const,
  );
}

/** Drags a node type from the library sidebar onto the canvas; the node is centred there. */
export async function dragFromLibrary(page: Page, type: string, at: [number, number]): Promise<void> {
  await page.dragAndDrop(`[data-testid="lib-node-${type}"]`, '[data-testid="canvas"]', { targetPosition: { x: at[0], y: at[1] } });
}
