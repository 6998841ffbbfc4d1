// The data folders as every layer sees them; server/storage.ts makes the real one.

/** Data folders; every path a node writes or reads goes through here. */
export interface Storage {
  readonly dataDir: string;
  readonly inputDir: string;
  readonly outputDir: string;
  readonly tempDir: string;
  readonly shiftsDir: string;
  /** Adapter files (.safetensors, LoRA keys): SPM erasers and imported LoRAs. */
  readonly adaptersDir: string;
  readonly workflowsDir: string;
  readonly cacheDir: string;
  readonly modelsDir: string;
  /** Resolves `name` inside `base` after symlinks; throws if it would leave it. */
  resolveInside(base: string, name: string): string;
  /** Writes a file atomically (temp file + fsync + rename). */
  writeFileAtomic(path: string, data: Uint8Array | string): Promise<void>;
}
