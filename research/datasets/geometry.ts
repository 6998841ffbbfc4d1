// Shape outlines as signed distance functions (SDFs) in a local unit frame: origin at the
// shape's centre, y pointing UP, every shape inside the disc of radius `BOUND_RADIUS`.
// Negative inside. Each SDF is exact or a conservative bound (|f| ≤ true distance, right
// sign): min/max/negation keep that property, which the rasteriser relies on to skip
// supersampling for pixels whose centre is clearly inside or outside.

export type Sdf = (x: number, y: number) => number;

/** Exact SDF of a simple polygon (vertices in order): distance to the nearest edge, signed by even–odd crossing. */
export function polygonSdf(points: readonly (readonly [number, number])[]): Sdf {
  const n = points.length;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  points.forEach(([x, y], i) => {
    xs[i] = x;
    ys[i] = y;
  });
  const ex = new Float64Array(n);
  const ey = new Float64Array(n);
  const invLen2 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    ex[i] = xs[j] - xs[i];
    ey[i] = ys[j] - ys[i];
    invLen2[i] = 1 / (ex[i] * ex[i] + ey[i] * ey[i]);
  }
  return (x, y) => {
    let d2 = Infinity;
    let inside = false;
    for (let i = 0; i < n; i++) {
      const wx = x - xs[i];
      const wy = y - ys[i];
      let t = (wx * ex[i] + wy * ey[i]) * invLen2[i];
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const dx = wx - ex[i] * t;
      const dy = wy - ey[i] * t;
      const q = dx * dx + dy * dy;
      if (q < d2) d2 = q;
      const yi = ys[i];
      const yj = yi + ey[i];
      if (yi > y !== yj > y && x < xs[i] + (ex[i] * (y - yi)) / ey[i]) inside = !inside;
    }
    const d = Math.sqrt(d2);
    return inside ? -d : d;
  };
}

export function circleSdf(cx: number, cy: number, r: number): Sdf {
  return (x, y) => Math.hypot(x - cx, y - cy) - r;
}

export function union(...fs: Sdf[]): Sdf {
  return (x, y) => {
    let d = Infinity;
    for (const f of fs) d = Math.min(d, f(x, y));
    return d;
  };
}

/** `a` with `b` cut away. */
export function subtract(a: Sdf, b: Sdf): Sdf {
  return (x, y) => Math.max(a(x, y), -b(x, y));
}

/** Translates an SDF so that the shape's bounding-box centre lands on the origin. */
function shifted(f: Sdf, dx: number, dy: number): Sdf {
  return (x, y) => f(x - dx, y - dy);
}

function regularPolygon(n: number, r: number, phaseDeg: number): [number, number][] {
  const pts: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const a = ((phaseDeg + (360 * i) / n) * Math.PI) / 180;
    pts.push([r * Math.cos(a), r * Math.sin(a)]);
  }
  return pts;
}

function starPolygon(points: number, outer: number, inner: number): [number, number][] {
  const pts: [number, number][] = [];
  for (let i = 0; i < 2 * points; i++) {
    const a = Math.PI / 2 + (Math.PI * i) / points;
    const r = i % 2 === 0 ? outer : inner;
    pts.push([r * Math.cos(a), r * Math.sin(a)]);
  }
  return pts;
}

// Proportions are chosen so that at 32×32 (small ≈ 10 px across) each shape keeps its
// identifying feature: chunky star points, a ring hole ≥ 5 px, crescent horns, heart notch.

const SQ = Math.SQRT1_2;
// Heart: a square standing on a corner with two discs on its upper edges (classic construction).
const HEART_S = 1.2; // side of the square
const heartRaw = union(
  polygonSdf([
    [0, -1],
    [HEART_S * SQ, -1 + HEART_S * SQ],
    [0, -1 + 2 * HEART_S * SQ],
    [-HEART_S * SQ, -1 + HEART_S * SQ],
  ]),
  circleSdf(-HEART_S * SQ * 0.5, -1 + HEART_S * SQ * 1.5, HEART_S / 2),
  circleSdf(HEART_S * SQ * 0.5, -1 + HEART_S * SQ * 1.5, HEART_S / 2),
);
const HEART_TOP = -1 + HEART_S * SQ * 1.5 + HEART_S / 2;
// Crescent: a disc with an offset disc cut away; horns open to the right.
const MOON_CUT_X = 0.55;
const MOON_CUT_R = 0.85;
const MOON_HORN_X = (1 - MOON_CUT_R * MOON_CUT_R + MOON_CUT_X * MOON_CUT_X) / (2 * MOON_CUT_X);

export const SHAPE_SDFS = {
  circle: circleSdf(0, 0, 1),
  square: polygonSdf([
    [-0.85, -0.85],
    [0.85, -0.85],
    [0.85, 0.85],
    [-0.85, 0.85],
  ]),
  // Equilateral, pointing up, circumradius 1.15, bbox centred.
  triangle: shifted(polygonSdf(regularPolygon(3, 1.15, 90)), 0, -0.2875),
  star: polygonSdf(starPolygon(5, 1.05, 0.5)),
  // A rhombus taller than wide, so it never reads as a rotated square.
  diamond: polygonSdf([
    [0, -1.05],
    [0.7, 0],
    [0, 1.05],
    [-0.7, 0],
  ]),
  // Plus sign: arms 0.6 wide.
  cross: polygonSdf([
    [-0.3, -0.95],
    [0.3, -0.95],
    [0.3, -0.3],
    [0.95, -0.3],
    [0.95, 0.3],
    [0.3, 0.3],
    [0.3, 0.95],
    [-0.3, 0.95],
    [-0.3, 0.3],
    [-0.95, 0.3],
    [-0.95, -0.3],
    [-0.3, -0.3],
  ]),
  // Annulus: outer radius 1, inner 0.55.
  ring: ((x: number, y: number) => Math.abs(Math.hypot(x, y) - 0.775) - 0.225) as Sdf,
  heart: shifted(heartRaw, 0, -(HEART_TOP - 1) / 2),
  moon: shifted(subtract(circleSdf(0, 0, 1), circleSdf(MOON_CUT_X, 0, MOON_CUT_R)), (1 - MOON_HORN_X) / 2 - 0, 0),
} satisfies Record<string, Sdf>;

export type ShapeName = keyof typeof SHAPE_SDFS;

/** Every shape fits in the disc of this radius in its local frame (rotation-safe bound for rasterising). */
export const BOUND_RADIUS = 1.25;
