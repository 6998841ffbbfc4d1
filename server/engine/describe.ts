// Short human-readable descriptions of what a node was given, for error messages (shapes and
// types, never the data of a tensor); who failed is core's nodeLabel.

const MAX_STRING = 120;

/** One input value as a short string: numbers/booleans as-is, strings cut, tensors as `Float32Array[1,64,64,3]`. */
export function summarizeValue(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'undefined':
      return 'undefined';
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'string':
      return v.length > MAX_STRING ? `${v.slice(0, MAX_STRING)}… (${v.length} chars)` : v;
    case 'function':
      return 'function';
    case 'symbol':
      return v.toString();
  }
  if (ArrayBuffer.isView(v)) {
    const len = 'length' in v ? (v as unknown as { length: number }).length : v.byteLength;
    return `${v.constructor.name}[${len}]`;
  }
  const o = v as Record<string, unknown>;
  // ImageBatch / LATENT-like: a typed array plus a shape.
  if (ArrayBuffer.isView(o.data) && Array.isArray(o.shape)) return `${o.data.constructor.name}[${o.shape.join(',')}]`;
  if (Array.isArray(v)) return `Array[${v.length}]`;
  const name = Object.getPrototypeOf(v)?.constructor?.name;
  return typeof name === 'string' && name !== '' ? name : 'Object';
}
