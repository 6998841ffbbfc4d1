export * from './shifts.ts';
export * from './shift-file.ts';
export * from './combine.ts';
export * from './svd-cache.ts';
export { parseSafetensors, serializeSafetensors, SafetensorsError, type SafetensorsFile, type SafetensorsTensor } from './safetensors.ts';
