// One stage of the SD 1.5 bench in its own process, so each peak RSS is that stage's alone:
//   npx tsx bench/sd15/stage.ts <load|svd|sample|invert|bare|setup|train> <modelsDir> <dataDir> [options as JSON]
// Drives the nodes users wire (Load Model, SVD Decompose, Sample, DDIM Invert, Spectral Shift
// Train; 'setup' stops training once its session is open, 'bare' times the UNet in plain ORT) and
// prints one JSON line of figures. SVD results are cached in <dataDir> between stages, as the
// studio caches them.
import { performance } from 'node:perf_hooks';
import DDIMInvert from '../../nodes/ddim-invert.ts';
import LoadModel from '../../nodes/load-model.ts';
import Sample from '../../nodes/sample.ts';
import SVDDecompose from '../../nodes/svd-decompose.ts';
import Train from '../../nodes/spectral-shift-train.ts';
import type { NodeContext } from '../../nodes/define.ts';
import type { LoadedModel } from '../../server/diffusion/index.ts';
import type { SvdValue } from '../../server/spectral/index.ts';
import { ort } from '../../server/onnx/index.ts';
import { createStorage } from '../../server/storage.ts';

const [stage, modelsDir, dataDir, json] = process.argv.slice(2);
const opts = JSON.parse(json ?? '{}') as { size?: number; steps?: number; layers?: 'all' | 'attention'; parts?: string; prior?: boolean; trainParts?: string };
const storage = createStorage({ dataDir, modelsDir });
const stepTimes: number[] = [];
const trainSteps: number[] = [];
const figures: Record<string, unknown> = { stage };
let last = performance.now();
// 'setup' stops training once its session is open (graph build or cache load, session open).
const abort = new AbortController();
const ctx: NodeContext = {
  promptId: 'bench', nodeId: stage, signal: abort.signal, storage, runtime: { device: 'cpu' }, prompt: {}, extraData: {},
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
    if (setup) figures[setup[1] === 'training session' ? 'session_open_s' : /built before/.test(m) ? 'graph_cached_s' : /saved/.test(m) ? 'graph_save_s' : 'graph_build_s'] = Number(setup[2]);
    if (stage === 'setup' && setup?.[1] === 'training session') abort.abort();
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
} else if (stage === 'train' || stage === 'setup') {
  const v = await svd();
  const images = { data: new Float32Array(size * size * 3).fill(0.5), shape: [1, size, size, 3] };
  const t = performance.now();
  last = t;
  const train = Train.run({
    ...defaults(Train.inputs), model, svd: v, images, instance_prompt: 'a sks dog', identifier: 'sks', class_prompt: 'a dog',
    prior_weight: opts.prior === false ? 0 : 1, num_class_images: 1, resolution: size, steps: opts.steps ?? 2, checkpoint_every: 0,
    train_parts: opts.trainParts ?? 'unet+text_encoder',
  } as never, ctx);
  if (stage === 'train') await train;
  else await train.catch(() => undefined);
  figures.train_s = seconds(t);
  figures.step_s = trainSteps;
} else if (stage === 'invert') {
  const images = { data: new Float32Array(size * size * 3).fill(0.5), shape: [1, size, size, 3] };
  const t = performance.now();
  last = t;
  await DDIMInvert.run({ ...defaults(DDIMInvert.inputs), model, image: images, prompt: 'a photo of sks dog', steps: opts.steps ?? 3 } as never, ctx);
  figures.invert_s = seconds(t);
  figures.step_s = stepTimes.map((s) => +s.toFixed(2));
} else if (stage === 'bare') {
  // The anchor: the same UNet file in a plain ORT session (ORT's defaults), batch 1 and 2 at the
  // run's latent size, after two warm-up runs each (ORT plans memory on the first and allocates it
  // on the second); the min of 3 runs.
  const s = await ort.InferenceSession.create(model.layout.parts.unet, { executionProviders: ['cpu'], logSeverityLevel: 3 });
  const [sampleName, tName, textName] = s.inputNames;
  const h = size / model.downscale;
  const tMeta = s.inputMetadata.find((m) => m.name === tName) as { type?: string; shape?: unknown[] } | undefined;
  for (const b of [1, 2]) {
    const timestep = tMeta?.type === 'int64' ? new ort.Tensor('int64', BigInt64Array.from({ length: b }, () => 500n), [b]) : new ort.Tensor('float32', Float32Array.from({ length: b }, () => 500), [b]);
    const feeds = {
      [sampleName]: new ort.Tensor('float32', new Float32Array(b * model.latentChannels * h * h).fill(0.1), [b, model.latentChannels, h, h]),
      [tName]: timestep,
      [textName]: new ort.Tensor('float32', new Float32Array(b * 77 * 768).fill(0.01), [b, 77, 768]),
    };
    for (let i = 0; i < 2; i++) await s.run(feeds);
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await s.run(feeds);
      runs.push(seconds(t));
    }
    figures[`unet_b${b}_s`] = Math.min(...runs);
    figures[`unet_b${b}_runs`] = runs;
  }
} else if (stage !== 'load') throw new Error(`unknown stage ${stage}`);

figures.peak_rss_gib = +(process.resourceUsage().maxRSS / 2 ** 20).toFixed(2);
console.log(JSON.stringify(figures));
process.exit(0);
