// `npm run bench [-- filter...]`: runs every bench/*.ts (except this file), in name order.
// Convention: a bench file exports `async function bench<Name>(): Promise<Record<string,
// string | number>>` (figures to print; see engine.ts, queue-latency.ts) — or, for benches
// that print their own figures, `export async function run(): Promise<void>`. Each file also
// runs alone with `npx tsx bench/<file>.ts`. A filter keeps files whose name contains it.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

type Figures = Record<string, string | number>;
type BenchModule = Record<string, unknown> & { run?: () => Promise<void> };

const dir = fileURLToPath(new URL('.', import.meta.url));
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

let failed = 0;
for (const file of files) {
  const mod = (await import(pathToFileURL(join(dir, file)).href)) as BenchModule;
  const benches = Object.entries(mod).filter(([name, fn]) => typeof fn === 'function' && /^bench[A-Z]/.test(name)) as Array<[string, () => Promise<Figures>]>;
  if (typeof mod.run !== 'function' && benches.length === 0) continue;
  console.log(`\n== ${file}`);
  try {
    if (typeof mod.run === 'function') await mod.run();
    for (const [name, fn] of benches) {
      if (benches.length > 1) console.log(`-- ${name}`);
      const figures = await fn();
      for (const [k, v] of Object.entries(figures ?? {})) console.log(`${k}: ${v}`);
    }
  } catch (e) {
    failed++;
    console.error(`${file} failed:`, e);
  }
}
if (files.length === 0) console.log(`no bench matches ${filters.join(', ')}`);
process.exit(failed > 0 ? 1 : 0);
