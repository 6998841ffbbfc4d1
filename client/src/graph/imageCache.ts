// Image elements by URL for drawing on the canvas; a finished load redraws the canvas.
const cache = new Map<string, HTMLImageElement>();
let onLoad: () => void = () => {};

export function setImageLoadedHandler(fn: () => void): void {
  onLoad = fn;
}

export function loadImage(url: string): HTMLImageElement {
  let img = cache.get(url);
  if (!img) {
    img = new Image();
    img.onload = () => onLoad();
    img.src = url;
    cache.set(url, img);
    if (cache.size > 200) cache.delete(cache.keys().next().value as string);
  }
  return img;
}
