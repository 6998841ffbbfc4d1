// The worker's execution provider from the --device setting. `auto` starts on CPU until
// server/onnx offers a probe for the best provider that starts.
import type { DeviceName } from '../../nodes/define.ts';
import type { DeviceSetting } from '../config.ts';

export function resolveDevice(d: DeviceSetting): DeviceName {
  return d === 'auto' ? 'cpu' : d;
}
