// Reads the text chunks of a PNG (tEXt, and uncompressed iTXt) — where saved images keep
// their `workflow` and `prompt` JSON.

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

export function readPngText(buf: ArrayBuffer): Record<string, string> {
  const bytes = new Uint8Array(buf);
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) return {};
  const view = new DataView(buf);
  const dec = new TextDecoder('utf-8');
  const out: Record<string, string> = {};
  let off = 8;
  while (off + 8 <= bytes.length) {
    const len = view.getUint32(off);
    const type = String.fromCharCode(...bytes.subarray(off + 4, off + 8));
    const start = off + 8;
    const end = start + len;
    if (end > bytes.length) break;
    if (type === 'tEXt' || type === 'iTXt') {
      const data = bytes.subarray(start, end);
      const nul = data.indexOf(0);
      if (nul > 0) {
        const key = dec.decode(data.subarray(0, nul));
        if (type === 'tEXt') out[key] = dec.decode(data.subarray(nul + 1));
        else if (data[nul + 1] === 0) {
          // iTXt: compression flag, method, language\0, translated keyword\0, text
          let p = nul + 3;
          p = data.indexOf(0, p) + 1;
          p = data.indexOf(0, p) + 1;
          if (p > 0) out[key] = dec.decode(data.subarray(p));
        }
      }
    }
    if (type === 'IEND') break;
    off = end + 4;
  }
  return out;
}

/** The workflow a studio-saved PNG carries, if any. */
export function workflowFromPng(buf: ArrayBuffer): unknown | undefined {
  const text = readPngText(buf);
  if (!text.workflow) return undefined;
  try {
    return JSON.parse(text.workflow);
  } catch {
    return undefined;
  }
}
