// Vitest global setup: unpack the npm-shipped Chromium once, before the test workers start.
// Several browser test files launch at once; each unpacking it itself raced (a worker spawned
// the binary while another was still writing it: ETXTBSY on a fresh machine).
import { chromiumPath } from './harness.ts';

export default async function setup(): Promise<void> {
  await chromiumPath();
}
