// A file input of a data folder (shifts/, adapters/): its fingerprint (size and mtime, so a
// replaced file re-runs the node), its validation (the file must be listed there), and the
// save-path check of a filename_prefix in that folder.
import type { Storage } from '../define.ts';
import { fileSignature, listShiftFiles, savePathIn } from '../../server/spectral/index.ts';

type Env = { storage: Storage };

export function folderFile(dirOf: (s: Storage) => string, folder: string) {
  return {
    async fingerprint(name: string, { storage }: Env): Promise<string> {
      try {
        return await fileSignature(storage.resolveInside(dirOf(storage), name));
      } catch {
        return 'unresolvable';
      }
    },
    /** An error message for the input, or undefined when the file is there. */
    async missing(name: unknown, { storage }: Env): Promise<string | undefined> {
      if (typeof name !== 'string') return undefined;
      return (await listShiftFiles(dirOf(storage))).includes(name) ? undefined : `"${name}" was not found in ${folder}/`;
    },
    /** Why `prefix` cannot be saved to, or undefined. */
    unusablePrefix(prefix: unknown, { storage }: Env): string | undefined {
      if (typeof prefix !== 'string') return undefined;
      try {
        savePathIn(storage, dirOf(storage), prefix);
        return undefined;
      } catch (e) {
        return `is not usable: ${(e as Error).message}`;
      }
    },
  };
}

export const SHIFTS_FOLDER = folderFile((s) => s.shiftsDir, 'shifts');
export const ADAPTERS_FOLDER = folderFile((s) => s.adaptersDir, 'adapters');
