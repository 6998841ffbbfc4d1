// Binary WebSocket frames: 4-byte big-endian event type (1 = preview image), then for
// previews a 4-byte big-endian image type (1 = JPEG, 2 = PNG), then the image bytes.

export const PREVIEW_IMAGE = 1;
const MIME: Record<number, string> = { 1: 'image/jpeg', 2: 'image/png' };

export interface PreviewFrame {
  mime: string;
  bytes: Uint8Array;
}

/** Decodes one binary frame; undefined for event types this client does not know. */
export function decodePreviewFrame(buf: ArrayBuffer): PreviewFrame | undefined {
  if (buf.byteLength < 8) return undefined;
  const view = new DataView(buf);
  if (view.getUint32(0) !== PREVIEW_IMAGE) return undefined;
  const mime = MIME[view.getUint32(4)] ?? 'image/png';
  return { mime, bytes: new Uint8Array(buf, 8) };
}

/** The inverse, for tests and fake servers. */
export function encodePreviewFrame(bytes: Uint8Array, imageType = 2): ArrayBuffer {
  const out = new Uint8Array(8 + bytes.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, PREVIEW_IMAGE);
  view.setUint32(4, imageType);
  out.set(bytes, 8);
  return out.buffer;
}
