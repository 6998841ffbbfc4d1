// Fuzzy search over node definitions, for the node library and the canvas search box:
// exact and prefix matches first, then every query word found as a (word-start-preferring)
// subsequence of a name ("img grid", "load img"), then abbreviations ("sdc" → SVD Decompose,
// "siw" → Save Image (WebSocket)), then category matches, and only when none of those match,
// typo-tolerant matches (fuse.js: "sampel" → Sample). A search opened from a released link
// lists only nodes with a socket that the link fits (litegraph's type rule: `*`, comma lists).
import Fuse from 'fuse.js';
import type { NodeDef, ObjectInfo } from '../api/types.ts';
import { slotTypesConnect } from '../../../server/core/workflow/to-prompt.ts';

export interface SearchOptions {
  /** Only nodes with an input this type connects to (a link dragged out of an output). */
  inputType?: string;
  /** Only nodes with an output of this type (a link dragged out of an input). */
  outputType?: string;
  limit?: number;
}

const DEFAULT_LIMIT = 100;

/** litegraph's isValidConnection, the rule the shared workflow module decides links by. */
export const typeMatches = (a: string, b: string): boolean => slotTypesConnect(a, b);

function isWordStart(text: string, i: number): boolean {
  if (i === 0) return true;
  const prev = text[i - 1];
  const cur = text[i];
  if (!/[a-z0-9]/i.test(prev)) return true;
  return /[a-z]/.test(prev) && /[A-Z]/.test(cur);
}

/**
 * Cost of finding `query`'s characters (spaces ignored) in order in `text`, or undefined when
 * they are not there. Contiguous characters cost nothing, a jump to a word start 1, a jump
 * into a word 2 plus a little per skipped character: lower is better ("lo": load < slow).
 */
export function subsequenceScore(query: string, text: string): number | undefined {
  const q = query.toLowerCase().replace(/\s+/g, '');
  if (!q) return 0;
  const t = text.toLowerCase();
  const n = t.length;
  let prev: number[] = new Array(n).fill(Infinity);
  for (let i = 0; i < q.length; i++) {
    const cur: number[] = new Array(n).fill(Infinity);
    let best = Infinity;
    let bestAt = -1;
    for (let j = 0; j < n; j++) {
      if (i > 0 && j > 0 && prev[j - 1] < best) {
        best = prev[j - 1];
        bestAt = j - 1;
      }
      if (t[j] !== q[i]) continue;
      const jump = (from: number) => (isWordStart(text, j) ? 1 : 2 + (j - from - 1) * 0.1);
      if (i === 0) cur[j] = j === 0 ? 0 : jump(-1);
      else {
        const contiguous = j > 0 ? prev[j - 1] : Infinity;
        const viaJump = bestAt >= 0 ? best + jump(bestAt) : Infinity;
        cur[j] = Math.min(contiguous, viaJump);
      }
    }
    prev = cur;
  }
  const s = Math.min(...prev);
  return Number.isFinite(s) ? s : undefined;
}

function inputTypes(def: NodeDef): string[] {
  const out: string[] = [];
  for (const group of [def.input.required, def.input.optional]) {
    for (const spec of Object.values(group ?? {})) out.push(Array.isArray(spec[0]) ? 'COMBO' : String(spec[0]));
  }
  return out;
}

export class NodeSearch {
  private readonly defs: NodeDef[];
  private readonly fuse: Fuse<NodeDef>;

  constructor(defs: NodeDef[] | ObjectInfo) {
    this.defs = Array.isArray(defs) ? [...defs] : Object.values(defs);
    this.fuse = new Fuse(this.defs, {
      keys: [
        { name: 'display_name', weight: 2 },
        { name: 'name', weight: 1 },
      ],
      threshold: 0.4,
      ignoreLocation: true,
      includeScore: true,
    });
  }

  /** Definitions matching `query` (all when empty) that fit the type filter, best first. */
  search(query: string, opts: SearchOptions = {}): NodeDef[] {
    const limit = opts.limit ?? DEFAULT_LIMIT;
    const fits = (d: NodeDef) =>
      (!opts.inputType || inputTypes(d).some((t) => typeMatches(opts.inputType!, t))) &&
      (!opts.outputType || d.output.some((t) => typeMatches(t, opts.outputType!)));
    const q = query.trim().toLowerCase();
    if (!q) {
      return this.defs
        .filter(fits)
        .sort((a, b) => (a.category ?? '').localeCompare(b.category ?? '') || (a.display_name || a.name).localeCompare(b.display_name || b.name))
        .slice(0, limit);
    }
    const words = q.split(/\s+/);
    const flat = q.replace(/\s+/g, '');
    const scored: { d: NodeDef; score: number }[] = [];
    for (const d of this.defs) {
      if (!fits(d)) continue;
      const display = d.display_name || d.name;
      const names = [display, d.name];
      const lower = names.map((n) => n.toLowerCase());
      const compact = lower.map((n) => n.replace(/[^a-z0-9]/g, ''));
      let score: number | undefined;
      if (lower.includes(q) || compact.includes(flat)) score = 0;
      else if (lower.some((n) => n.startsWith(q)) || compact.some((n) => n.startsWith(flat))) score = 100;
      else {
        // Every word a subsequence of one word of a name ("load img", "img grid").
        const perWord = names.map((n) => {
          const parts = n.split(/[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])/).filter(Boolean);
          let total = 0;
          for (const w of words) {
            const best = Math.min(...parts.map((p) => subsequenceScore(w, p) ?? Infinity));
            if (!Number.isFinite(best)) return undefined;
            total += best;
          }
          return total;
        });
        const word = Math.min(...perWord.map((s) => s ?? Infinity));
        if (Number.isFinite(word)) score = 200 + word;
        else {
          const sub = Math.min(...names.map((n) => subsequenceScore(q, n) ?? Infinity));
          if (Number.isFinite(sub)) score = 300 + sub;
          else if (words.every((w) => (d.category ?? '').toLowerCase().includes(w))) score = 400;
        }
      }
      if (score !== undefined) scored.push({ d, score: score + display.length * 0.01 });
    }
    if (scored.length === 0) {
      // Nothing matched as typed: allow typos.
      for (const r of this.fuse.search(q)) if (fits(r.item)) scored.push({ d: r.item, score: 500 + (r.score ?? 1) });
    }
    scored.sort((a, b) => a.score - b.score);
    return scored.slice(0, limit).map((s) => s.d);
  }
}

let index = new NodeSearch([]);

/** The definitions searchNodes() searches (the node-definitions store sets them on load). */
export function setSearchDefs(defs: NodeDef[] | ObjectInfo): void {
  index = new NodeSearch(defs);
}

export function searchNodes(query: string, opts: SearchOptions = {}): NodeDef[] {
  return index.search(query, opts);
}
