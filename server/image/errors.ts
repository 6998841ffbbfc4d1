// Readable reasons for failed file accesses, for the InputErrors nodes throw.
import { PathOutsideError } from '../storage.ts';

/** A readable reason for a failed file access (missing, a folder, outside the data folder…). */
export function fileProblem(e: unknown, name: string, folder: string): string {
  if (e instanceof PathOutsideError) return `path "${name}" is outside the ${folder}/ folder`;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return `"${name}" was not found in ${folder}/`;
  if (code === 'EISDIR') return `"${name}" is a folder, not a file`;
  if (code === 'EACCES' || code === 'EPERM') return `"${name}" cannot be read (permission denied)`;
  return `"${name}": ${(e as Error)?.message ?? String(e)}`;
}
