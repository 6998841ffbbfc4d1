// One stage of the SD 1.5 bench in its own process, so each peak RSS is that stage's alone:
//   npx tsx bench/sd15/stage.ts <load|svd|sample|train> <modelsDir> <dataDir> [options as JSON]
// Drives the nodes users wire (Load Model, SVD Decompose, Sample, Spectral Shift Train) and
// prints one JSON line of figures. SVD results are cached in <dataDir> between stages, as the
// studio caches them.
import { performance } from 'node:perf_hooks';
import LoadModel from '../../nodes/load-model.ts';
import Sample from '../../nodes/sample.ts';
import SVDDecompose from '../../nodes/svd-decompose.ts';
import Train from '../../nodes/spectral-shift-train.ts';
import type { NodeContext } from '../../nodes/define.ts';
import type { LoadedModel } from '../../server/diffusion/index.ts';
import type { SvdValue } from '../../server/spectral/index.ts';
import { createStorage } from '../../server/storage.ts';

const [stage, modelsDir, dataDir, json] = process.argv.slice(2);
const opts = JSON.parse(json ?? '{}') as { size?: number; steps?: number; layers?: 'all' | 'attention'; parts?: string; prior?: boolean; trainParts?: string };
const storage = createStorage({ dataDir, modelsDir });
const stepTimes: number[] = [];
const trainSteps: number[] = [];
const figures: Record<string, unknown> = { stage };
let last = performance.now();
const ctx: NodeContext = {
  promptId: 'bench', nodeId: stage, signal: new AbortController().signal, storage, runtime: { device: 'cpu' }, prompt: {}, extraData: {},
  previews: true,
  progress: (step) => {
    const now = performance.now();
    if (step > 0) stepTimes.push((now - last) / 1000);
    last = now;
  },
  log: (m) => {
    process.stderr.write(`${m}\n`);
    const ms = /(\d+) ms\/step/.exec(m);
    if (ms) trainSteps.push(+(Number(ms[1]) / 1000).toFixed(1));
    const setup = /(training graph|training session).* in ([\d.]+) s/.exec(m);
    if (setup) figures[setup[1] === 'training graph' ? 'graph_build_s' : 'session_open_s'] = Number(setup[2]);
  },
};
const defaults = (inputs: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(inputs).filter(([, s]) => typeof s === 'object' && s !== null && 'default' in s).map(([k, s]) => [k, (s as { default: unknown }).default]));
const seconds = (t0: number) => +((performance.now() - t0) / 1000).toFixed(2);

const t0 = performance.now();
const model = (await LoadModel.run({ model_name: 'sd15-full', device: 'cpu' }, ctx)).outputs[0] as LoadedModel;
figures.load_s = seconds(t0);
const size = opts.size ?? 512;

async function svd(): Promise<SvdValue> {
  const t = performance.now();
  const v = (await SVDDecompose.run({ model, parts: opts.parts ?? 'unet+text_encoder', layers: opts.layers ?? 'all', name_filter: '' }, ctx)).outputs[0] as SvdValue;
  figures.svd_s = seconds(t);
  figures.svd_layers = v.layers.size;
  return v;
}

if (stage === 'svd') await svd();
else if (stage === 'sample') {
  const t = performance.now();
  last = t;
  await Sample.run({ ...defaults(Sample.inputs), model, prompt: 'a photo of sks dog', steps: opts.steps ?? 3, guidance_scale: 7.5, width: size, height: size } as never, ctx);
  figures.sample_s = seconds(t);
  figures.step_s = stepTimes.map((s) => +s.toFixed(2));
} else if (stage === 'train') {
  const v = await svd();
  const images = { data: new Float32Array(size * size * 3).fill(0.5), shape: [1, size, size, 3] };
  const t = performance.now();
  last = t;
  await Train.run({
    ...defaults(Train.inputs), model, svd: v, images, instance_prompt: 'a sks dog', identifier: 'sks', class_prompt: 'a dog',
    prior_weight: opts.prior === false ? 0 : 1, num_class_images: 1, resolution: size, steps: opts.steps ?? 2, checkpoint_every: 0,
    train_parts: opts.trainParts ?? 'unet+text_encoder',
  } as never, ctx);
  figures.train_s = seconds(t);
  figures.step_s = trainSteps;
} else if (stage !== 'load') throw new Error(`unknown stage ${stage}`);

figures.peak_rss_gib = +(process.resourceUsage().maxRSS / 2 ** 20).toFixed(2);
console.log(JSON.stringify(figures));
process.exit(0);
