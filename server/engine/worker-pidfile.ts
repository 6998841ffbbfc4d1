// After a `kill -9` of the server, a worker stuck in a synchronous node run never sees its
// IPC channel close and keeps computing. The server records its worker's pid beside the
// queue and, on the next start, kills a leftover worker of the same data folder.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

/** argv marker that ties a worker process to its data folder (checked before killing). */
export function workerTag(dataDir: string): string {
  return `--svdiff-worker-of=${dataDir}`;
}

export function recordWorkerPid(pidFile: string, pid: number): void {
  try {
    writeFileSync(pidFile, String(pid));
  } catch {
    // Best effort: losing the record only means an orphan is not cleaned up.
  }
}

/** Kills the process named in `pidFile` if it is still a worker of `dataDir` (Linux /proc check; elsewhere nothing). */
export function killLeftoverWorker(pidFile: string, dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) return undefined;
  let cmdline: string[];
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
  if (!cmdline.includes(workerTag(dataDir))) return undefined;
  try {
    process.kill(pid, 'SIGKILL');
    return pid;
  } catch {
    return undefined;
  }
}
