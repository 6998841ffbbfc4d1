// Execution devices: what a user may ask for, and what a session runs on.

/** A device a session runs on (ONNX Runtime execution providers). */
export type DeviceName = 'cpu' | 'cuda' | 'webgpu';

/** What a user may ask for: a device, or `auto` (the best one that starts). */
export type DeviceSetting = DeviceName | 'auto';

export const DEVICE_SETTINGS: readonly DeviceSetting[] = ['cpu', 'cuda', 'webgpu', 'auto'];
