// Socket/link colours per type (ComfyUI-like palette); unknown types get a stable hue.
const COLORS: Record<string, string> = {
  MODEL: '#b39ddb',
  SVD: '#4dd0e1',
  SHIFTS: '#ffb74d',
  ADAPTER: '#e6ee9c',
  IMAGE: '#64b5f6',
  LATENT: '#ff9cf9',
  MASK: '#81c784',
  INT: '#9ccc65',
  FLOAT: '#aed581',
  STRING: '#f48fb1',
  BOOLEAN: '#e57373',
  COMBO: '#90a4ae',
};

export function slotColor(type: string): string {
  const known = COLORS[type.toUpperCase()];
  if (known) return known;
  let h = 0;
  for (const ch of type) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return `hsl(${h}, 60%, 65%)`;
}

export function knownSlotColors(): Record<string, string> {
  return { ...COLORS };
}
