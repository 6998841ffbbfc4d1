// Autodiff benchmark: a ~1.6 M-parameter UNet with cross-attention at 32×32, batch 32, on CPU.
// Prints forward time, forward+backward time (one ORT run), their ratio and peak RSS.
// Run alone with `npx tsx bench/onnx.ts`; `npm run bench` calls run().
import { pathToFileURL } from 'node:url';
import { addMseLoss, BENCH_UNET, buildUNet, createSession, differentiate, liftParameters, normal, numel, ort, rng } from '../server/onnx/index.ts';

const BATCH = Number(process.env.BENCH_BATCH ?? 32);
const SIZE = 32, SEQ = 16, REPEAT = Number(process.env.BENCH_REPEAT ?? 3);

async function timeRuns(run: () => Promise<unknown>): Promise<number> {
  await run(); // warm-up (allocations, pre-packing)
  const ts: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now();
    await run();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

export async function run(): Promise<void> {
  const cfg = { ...BENCH_UNET, batch: BATCH, size: SIZE, seqLen: SEQ };
  const { model: unet, params } = buildUNet(cfg);
  const { model, params: values } = liftParameters(addMseLoss(unet, { output: 'out_sample', target: 'target' }), params);
  const nParams = values.reduce((a, p) => a + p.data.length, 0);
  const rand = rng(1);
  const randn = (dims: number[]) => new ort.Tensor('float32', Float32Array.from({ length: numel(dims) }, () => normal(rand)), dims);
  const feeds: Record<string, ort.Tensor> = {
    sample: randn([BATCH, 4, SIZE, SIZE]), target: randn([BATCH, 4, SIZE, SIZE]), encoder_hidden_states: randn([BATCH, SEQ, cfg.contextDim]),
    timestep: new ort.Tensor('float32', Float32Array.from({ length: BATCH }, (_, i) => (i * 31) % 1000), [BATCH]),
  };
  for (const p of values) feeds[p.name] = new ort.Tensor('float32', p.data, p.dims);
  const threads = Number(process.env.BENCH_THREADS ?? 0) || undefined;

  const t0 = performance.now();
  const grad = await differentiate(model, { loss: 'loss', wrt: params });
  const buildMs = performance.now() - t0;
  const fwd = await createSession(model, { cache: false, threads });
  const rssBefore = process.memoryUsage().rss;
  const fwdMs = await timeRuns(() => fwd.run(feeds, ['loss']));
  const peakFwd = process.resourceUsage().maxRSS * 1024;
  await fwd.release();
  const bwd = await createSession(grad, { cache: false, threads });
  const fetches = ['loss', ...params.map((p) => `grad/${p}`)];
  const bwdMs = await timeRuns(() => bwd.run(feeds, fetches));
  const peak = process.resourceUsage().maxRSS * 1024;
  await bwd.release();

  const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  console.log(`onnx autodiff bench: UNet ${(nParams / 1e6).toFixed(2)} M params, cross-attention, ${SIZE}x${SIZE}, batch ${BATCH}, CPU, ${threads ?? 'default'} threads`);
  console.log(`  graph: ${model.graph!.node!.length} forward nodes, ${grad.graph!.node!.length - model.graph!.node!.length} backward nodes (built in ${buildMs.toFixed(0)} ms incl. shape probe)`);
  console.log(`  forward            ${fwdMs.toFixed(0)} ms`);
  console.log(`  forward+backward   ${bwdMs.toFixed(0)} ms`);
  console.log(`  ratio              ${(bwdMs / fwdMs).toFixed(2)} (target <= 3.5)`);
  console.log(`  peak RSS           ${mb(peak)} (after forward: ${mb(peakFwd)}, at start of timing: ${mb(rssBefore)})`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
