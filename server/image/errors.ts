// Errors a user sees name the node and the input: `LoadImage: input "image": …`.
import { PathOutsideError } from '../storage.ts';

export function inputMessage(node: string, input: string, message: string): string {
  return `${node}: input "${input}": ${message}`;
}

export function inputError(node: string, input: string, message: string): Error {
  return new Error(inputMessage(node, input, message));
}

/** A readable reason for a failed file access (missing, a folder, outside the data folder…). */
export function fileProblem(e: unknown, name: string, folder: string): string {
  if (e instanceof PathOutsideError) return `path "${name}" is outside the ${folder}/ folder`;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return `"${name}" was not found in ${folder}/`;
  if (code === 'EISDIR') return `"${name}" is a folder, not a file`;
  if (code === 'EACCES' || code === 'EPERM') return `"${name}" cannot be read (permission denied)`;
  return `"${name}": ${(e as Error)?.message ?? String(e)}`;
}
