// Bytes of a model part on disk: its .onnx file and the external data beside it.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Total size of the files in the part's folder (optimum writes one part per folder). */
export function partFolderBytes(onnxFile: string): number {
  const dir = dirname(onnxFile);
  let total = 0;
  for (const name of readdirSync(dir)) {
    const st = statSync(join(dir, name));
    if (st.isFile()) total += st.size;
  }
  return total;
}
