// Device memory for `npm run check:device`: for cuda, GPU 0's memory.used from nvidia-smi
// before a stage and its peak while the stage runs (polled every 200 ms; the whole GPU,
// other processes included); 'n/a' for providers whose memory cannot be read from outside
// (cpu: see the peak RSS column; webgpu: Dawn exposes no usage).
import { execFile, execFileSync } from 'node:child_process';

const QUERY = ['--query-gpu=memory.used', '--format=csv,noheader,nounits'];

/** GPU 0's used memory in MiB, or undefined without nvidia-smi. */
function readSync(): number | undefined {
  try {
    return parse(execFileSync('nvidia-smi', QUERY, { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return undefined;
  }
}

function read(): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', QUERY, { encoding: 'utf8', timeout: 5000 }, (err, out) => resolve(err ? undefined : parse(out)));
  });
}

function parse(out: string): number | undefined {
  const v = Number.parseFloat(out.split('\n')[0]);
  return Number.isFinite(v) ? v : undefined;
}

/** Runs `fn`, reading device memory around it when the provider allows; returns the cell text. */
export async function withDeviceMemory<T>(provider: string, fn: () => Promise<T>): Promise<{ value: T; memory: string }> {
  const before = provider === 'cuda' ? readSync() : undefined;
  if (before === undefined) return { value: await fn(), memory: 'n/a' };
  let peak = before;
  let polling: Promise<void> | undefined;
  const timer = setInterval(() => {
    polling ??= read().then((v) => {
      if (v !== undefined && v > peak) peak = v;
      polling = undefined;
    });
  }, 200);
  try {
    const value = await fn();
    const after = readSync();
    if (after !== undefined && after > peak) peak = after;
    return { value, memory: `${before}→${peak} MiB` };
  } finally {
    clearInterval(timer);
    await polling;
  }
}
