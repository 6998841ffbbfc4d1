import { describe, expect, it } from 'vitest';
import { parseCaption } from './captions.ts';
import { SHAPE_SDFS } from './geometry.ts';
import { RGB, backgroundsFor, colorDistance, MIN_CONTRAST } from './palette.ts';
import { Mulberry32, deriveSeed } from './rng.ts';
import { datasetBatch, renderShape, sampleShape, type ShapeAttrs } from './shapes.ts';
import { BASE_SHAPES, HELD_OUT_SHAPES, SHAPES, VOCABULARY, captionWords, tokenizerVocabulary } from './vocabulary.ts';

describe('rng', () => {
  it('is deterministic and roughly uniform', () => {
    const a = new Mulberry32(42);
    const b = new Mulberry32(42);
    const xs = Array.from({ length: 10000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 10000 }, () => b.next()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(deriveSeed(1, 2)).not.toBe(deriveSeed(1, 3));
    expect(deriveSeed(1, 2)).not.toBe(deriveSeed(2, 2));
  });
});

describe('shapes dataset', () => {
  it('same seed gives the same bytes; batches are random-access', () => {
    const a = datasetBatch(7, 0, 8);
    const b = datasetBatch(7, 0, 8);
    expect(Buffer.from(a.images.buffer).equals(Buffer.from(b.images.buffer))).toBe(true);
    expect(a.captions).toEqual(b.captions);
    const c = datasetBatch(7, 5, 3);
    const px = 32 * 32 * 3;
    expect(Array.from(c.images.subarray(0, px))).toEqual(Array.from(a.images.subarray(5 * px, 6 * px)));
    expect(c.captions[0]).toBe(a.captions[5]);
    const d = datasetBatch(8, 0, 8);
    expect(d.captions).not.toEqual(a.captions);
  });

  it('images are HWC RGB in [0,1] at 32 and 64, with the shape colour and background present', () => {
    for (const resolution of [32, 64]) {
      const s = sampleShape(3, { resolution });
      expect(s.image.length).toBe(resolution * resolution * 3);
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of s.image) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(1);
      const bg = RGB[s.attrs.background];
      expect(Array.from(s.image.subarray(0, 3))).toEqual(Array.from(Float32Array.from(bg)));
      const fg = Float32Array.from(RGB[s.attrs.color]);
      let found = false;
      for (let i = 0; i < s.image.length && !found; i += 3) found = s.image[i] === fg[0] && s.image[i + 1] === fg[1] && s.image[i + 2] === fg[2];
      expect(found).toBe(true);
    }
  });

  it('never draws held-out shapes in base training, and refuses them unless allowed', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 4000; i++) seen.add(sampleShape(new Mulberry32(deriveSeed(11, i)), { resolution: 8 }).attrs.shape);
    for (const h of HELD_OUT_SHAPES) expect(seen.has(h)).toBe(false);
    for (const b of BASE_SHAPES) expect(seen.has(b)).toBe(true);
    expect(() => sampleShape(1, { shapes: ['heart'] })).toThrow(/held out/);
    expect(sampleShape(1, { shapes: ['heart'], allowHeldOut: true }).attrs.shape).toBe('heart');
  });

  it('captions parse back to the attributes they mention', () => {
    const b = datasetBatch(5, 0, 600, { resolution: 8 });
    let full = 0;
    for (let i = 0; i < b.count; i++) {
      const cap = b.captions[i];
      if (cap === '') continue;
      const p = parseCaption(cap);
      expect(p, cap).not.toBeNull();
      const a = b.attrs[i];
      expect(p!.shape).toBe(a.shape);
      for (const k of ['size', 'color', 'position', 'background'] as const) if (p![k] !== undefined) expect(p![k]).toBe(a[k]);
      if (p!.size && p!.color && p!.position && p!.background) full++;
    }
    expect(full).toBeGreaterThan(200);
    const none = datasetBatch(5, 0, 50, { resolution: 8, attributeDropout: 0, emptyCaptionRate: 0 });
    none.captions.forEach((c, i) => {
      const { jitter: _j, ...want } = none.attrs[i];
      expect(parseCaption(c)).toEqual(want);
    });
  });

  it('empty-caption share is near the configured rate', () => {
    for (const rate of [0.1, 0.3]) {
      const b = datasetBatch(9, 0, 2000, { resolution: 8, emptyCaptionRate: rate });
      const share = b.captions.filter((c) => c === '').length / b.count;
      expect(Math.abs(share - rate)).toBeLessThan(0.03);
    }
  });

  it('only uses shape/background pairs with enough contrast, and all words are in the vocabulary', () => {
    const b = datasetBatch(2, 0, 500, { resolution: 8 });
    const vocab = tokenizerVocabulary();
    for (let i = 0; i < b.count; i++) {
      const a = b.attrs[i];
      expect(colorDistance(RGB[a.color], RGB[a.background])).toBeGreaterThanOrEqual(MIN_CONTRAST);
      expect(backgroundsFor(a.color)).toContain(a.background);
      for (const w of b.captions[i].split(' ').filter(Boolean)) expect(vocab[w], w).toBeTypeOf('number');
    }
  });

  it('vocabulary: stable ids, specials first, covers every caption word', () => {
    const v = tokenizerVocabulary();
    expect(v['[PAD]']).toBe(0);
    expect([v['[BOS]'], v['[EOS]'], v['[UNK]']]).toEqual([1, 2, 3]);
    expect([v.sks, v.xvg, v.zwx, v.qrb]).toEqual([4, 5, 6, 7]);
    expect(new Set(Object.values(v)).size).toBe(VOCABULARY.length);
    for (const w of captionWords()) expect(v[w], w).toBeTypeOf('number');
    for (const w of ['and', 'on', 'the', 'left', 'right', 'of', 'a', 'an', 'photo', 'heart', 'moon']) expect(v[w], w).toBeTypeOf('number');
    expect(Object.keys(SHAPE_SDFS).sort()).toEqual([...SHAPES].sort());
  });

  it('positions move the shape the right way', () => {
    const centroid = (attrs: ShapeAttrs) => {
      const img = renderShape(attrs, 32);
      let sx = 0;
      let sy = 0;
      let n = 0;
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 32; x++) {
          const w = img[(y * 32 + x) * 3] - RGB.black[0]; // red channel above the black background
          sx += w * x;
          sy += w * y;
          n += w;
        }
      return [sx / n, sy / n];
    };
    const base = { shape: 'circle', color: 'red', background: 'black', size: 'small' } as const;
    const [cx, cy] = centroid({ ...base, position: 'center' });
    expect(cx).toBeCloseTo(15.5, 1);
    expect(cy).toBeCloseTo(15.5, 1);
    expect(centroid({ ...base, position: 'left' })[0]).toBeLessThan(cx - 5);
    expect(centroid({ ...base, position: 'right' })[0]).toBeGreaterThan(cx + 5);
    expect(centroid({ ...base, position: 'top' })[1]).toBeLessThan(cy - 5);
    expect(centroid({ ...base, position: 'bottom' })[1]).toBeGreaterThan(cy + 5);
  });
});
