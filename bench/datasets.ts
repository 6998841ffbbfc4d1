// Drawing speed of the shapes dataset (research/datasets; base training draws thousands of
// images a minute), at 32² and 64². `npx tsx bench/datasets.ts` or `npm run bench -- datasets`.
import { pathToFileURL } from 'node:url';
import { datasetBatch } from '../research/datasets/index.ts';

export interface DrawSpeed {
  resolution: number;
  images: number;
  seconds: number;
  imagesPerSecond: number;
  /** Images per second of this process's CPU time (fairer on a shared, loaded machine). */
  imagesPerCpuSecond: number;
}

export function measureDrawSpeed(resolution: number, images = 4000, batch = 64): DrawSpeed {
  datasetBatch(0, 0, batch, { resolution }); // warm-up (JIT)
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < images; i += batch) datasetBatch(1, i, Math.min(batch, images - i), { resolution });
  const cpu = process.cpuUsage(c0);
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { resolution, images, seconds, imagesPerSecond: images / seconds, imagesPerCpuSecond: images / cpuSeconds };
}

export async function benchDatasets(): Promise<Record<string, string | number>> {
  const figures: Record<string, string | number> = {};
  for (const r of [32, 64]) {
    const s = measureDrawSpeed(r);
    figures[`shapes dataset ${r}×${r}`] = `${s.imagesPerSecond.toFixed(0)} images/s wall, ${s.imagesPerCpuSecond.toFixed(0)} per CPU-second (${s.images} in ${s.seconds.toFixed(2)} s)`;
  }
  return figures;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const [k, v] of Object.entries(await benchDatasets())) console.log(`${k}: ${v}`);
}
