// GET /view's `channel` and `preview` parameters (ComfyUI's), checked (400 naming the
// parameter) and turned into the answer they ask for.
//
//   channel=rgba (or none)  the file as stored
//   channel=rgb             the image without alpha, PNG
//   channel=a               ComfyUI's alpha image: black RGBA whose alpha is the image's, PNG
//   preview=<fmt>[;<q>]     fmt webp or jpeg, q 0-100 (90 when left out): a JPEG at quality q,
//                           for webp too (no WebP encoder here), Content-Type image/jpeg
//
// preview with channel=rgba or a: ComfyUI switches to WebP to keep the alpha; here the answer
// is what the channel alone gives (the stored file, the alpha PNG), a format that keeps it.
// preview with channel=rgb, or without channel: the JPEG. Empty values count as left out.
// ComfyUI answers anything else quietly (an unknown channel as rgba, an unknown preview
// format as WebP, a bad quality as 90); here they are 400s.
import { HttpError } from './errors.ts';

export type ViewChannel = 'rgba' | 'rgb' | 'a';

export interface ViewParams {
  /** Undefined when not given (ComfyUI tells "rgba" from none when a preview is asked for). */
  channel?: ViewChannel;
  preview?: { format: 'webp' | 'jpeg'; quality: number };
}

export type ViewConversion = { op: 'rgb' } | { op: 'alpha' } | { op: 'jpeg'; quality: number };

function shown(v: unknown): string {
  if (Array.isArray(v)) return 'several values';
  const s = JSON.stringify(String(v));
  return s.length > 42 ? `${s.slice(0, 40)}…"` : s;
}

export function parseViewParams(query: Record<string, unknown>): ViewParams {
  const out: ViewParams = {};
  const channel = query.channel;
  if (channel !== undefined && channel !== '') {
    if (channel !== 'rgba' && channel !== 'rgb' && channel !== 'a') {
      throw new HttpError(400, 'invalid_channel', `channel must be rgba, rgb or a, not ${shown(channel)}`);
    }
    out.channel = channel;
  }
  const preview = query.preview;
  if (preview !== undefined && preview !== '') {
    const bad = () => new HttpError(400, 'invalid_preview', `preview must be "webp" or "jpeg", optionally with ";<quality 0-100>" (e.g. "webp;90"), not ${shown(preview)}`);
    if (typeof preview !== 'string') throw bad();
    const parts = preview.split(';');
    const format = parts[0].trim().toLowerCase();
    if (parts.length > 2 || (format !== 'webp' && format !== 'jpeg')) throw bad();
    const q = (parts[1] ?? '').trim();
    if (q !== '' && !(/^\d{1,3}$/.test(q) && Number(q) <= 100)) throw bad();
    out.preview = { format, quality: q === '' ? 90 : Number(q) };
  }
  return out;
}

/** The conversion asked for; undefined: the file as stored. */
export function viewConversion(p: ViewParams): ViewConversion | undefined {
  if (p.channel === 'a') return { op: 'alpha' };
  // jpeg-js takes quality 1-100; ComfyUI's 0 (Pillow's worst) becomes 1.
  if (p.preview && p.channel !== 'rgba') return { op: 'jpeg', quality: Math.max(1, p.preview.quality) };
  if (p.channel === 'rgb') return { op: 'rgb' };
  return undefined;
}

/** The parameter that needs the file to be a PNG or JPEG (named in the 400 when it is not); undefined: any file will do. */
export function imageParam(p: ViewParams): 'preview' | 'channel' | undefined {
  if (p.preview) return 'preview';
  if (p.channel && p.channel !== 'rgba') return 'channel';
  return undefined;
}
