// `svdiff-studio run`: one workflow through the same engine as the server, in this process.
// Progress bars on a terminal, plain lines otherwise; output images copied to --out; a failed
// validation or node prints what went wrong (node and input) and exits non-zero.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { randomUUID } from 'node:crypto';
import cliProgress from 'cli-progress';
import { imageTypeDir, type ApiPrompt, type UiOutput } from './core/index.ts';
import { loadRegistry } from './engine/registry.ts';
import type { DeviceSetting } from './config.ts';
import { concreteDevice, DEFAULTS } from './config.ts';
import type { EngineEvent } from './engine/events.ts';
import { executePrompt, OutputCache, validatePrompt, workflowToPrompt } from './engine/index.ts';
import { isApiPrompt, parseApiPrompt } from './core/workflow/index.ts';
import { createStorage } from './storage.ts';
import { seedExampleData } from './example-inputs.ts';

export interface RunOptions {
  dataDir: string;
  out?: string;
  device: DeviceSetting;
  modelsDir?: string;
  nodesDir?: string;
}

/** Exit code: 0 success, 1 failure (validation or node error), 130 interrupted. */
export async function runWorkflowFile(file: string, o: RunOptions): Promise<number> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    console.error(`error: cannot read workflow ${file}: ${(e as Error).message}`);
    return 1;
  }
  const storage = createStorage({ dataDir: o.dataDir, modelsDir: o.modelsDir });
  seedExampleData(storage);
  const registry = await loadRegistry(o.nodesDir);
  let prompt: ApiPrompt;
  const extraData: Record<string, unknown> = {};
  try {
    if (isApiPrompt(doc)) prompt = parseApiPrompt(doc);
    else {
      prompt = workflowToPrompt(doc, registry);
      extraData.extra_pnginfo = { workflow: doc };
    }
  } catch (e) {
    console.error(`error: ${file} is neither an API prompt nor a UI workflow: ${(e as Error).message}`);
    return 1;
  }

  const v = await validatePrompt(prompt, registry, { storage });
  if (!v.ok) {
    if (v.error) console.error(`error: ${v.error.message}${v.error.details ? `: ${v.error.details}` : ''}`);
    for (const ne of Object.values(v.node_errors)) {
      // Each message names its node and input already (Node #3 (Sample): input "steps": …).
      for (const err of ne.errors) console.error(`  ${err.message}${err.details ? ` — ${err.details}` : ''}`);
    }
    return 1;
  }

  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  const view = progressView(prompt);
  let result;
  try {
    result = await executePrompt(
      { promptId: randomUUID(), prompt, extraData, outputs: v.outputs },
      { registry, cache: new OutputCache(DEFAULTS.cacheBytes), storage, runtime: { device: await concreteDevice(o.device) }, signal: controller.signal, emit: view.emit },
    );
  } finally {
    view.stop();
    process.off('SIGINT', onSigint);
  }

  if (result.status === 'interrupted') {
    console.error('interrupted');
    return 130;
  }
  if (result.status === 'error') {
    const e = result.error;
    // An input error's message already names the node.
    console.error(e ? `error: ${e.input_name ? e.exception_message : `node #${e.node_id} (${e.node_type}): ${e.exception_message}`}` : 'error: the prompt failed');
    return 1;
  }
  const images = collectImages(result.outputs);
  if (o.out) {
    await mkdir(o.out, { recursive: true });
    for (const img of images) {
      const src = storage.resolveInside(imageTypeDir(storage, img.type), img.subfolder ? posix.join(img.subfolder, img.filename) : img.filename);
      const dest = join(o.out, basename(img.filename));
      await copyFile(src, dest);
      console.log(dest);
    }
  } else {
    for (const img of images) console.log(join(imageTypeDir(storage, img.type), img.subfolder, img.filename));
  }
  return 0;
}

function collectImages(outputs: Record<string, UiOutput>) {
  return Object.values(outputs).flatMap((ui) => (Array.isArray(ui.images) ? ui.images : []));
}

/** Terminal output for engine events: a bar per node on a TTY, throttled plain lines otherwise. */
function progressView(prompt: ApiPrompt): { emit(e: EngineEvent): void; stop(): void } {
  const tty = process.stderr.isTTY === true;
  const label = (id: string) => `#${id} ${prompt[id]?.class_type ?? ''}`;
  let bar: cliProgress.SingleBar | undefined;
  let barNode: string | undefined;
  let lastLine = 0;
  const endBar = () => {
    bar?.stop();
    bar = undefined;
    barNode = undefined;
  };
  return {
    emit(e) {
      if (e.type === 'executing' && e.data.node !== null) {
        endBar();
        process.stderr.write(`▶ ${label(e.data.node)}\n`);
      } else if (e.type === 'execution_cached' && e.data.nodes.length > 0) {
        process.stderr.write(`cached: ${e.data.nodes.map(label).join(', ')}\n`);
      } else if (e.type === 'progress') {
        const loss = e.data.loss !== undefined ? ` loss ${e.data.loss.toPrecision(4)}` : '';
        if (tty) {
          if (barNode !== e.data.node) {
            endBar();
            bar = new cliProgress.SingleBar(
              { format: `  {bar} {value}/{total} {eta_formatted}{loss}`, stream: process.stderr, hideCursor: true },
              cliProgress.Presets.shades_classic,
            );
            bar.start(e.data.max, e.data.value, { loss });
            barNode = e.data.node;
          } else {
            bar!.setTotal(e.data.max);
            bar!.update(e.data.value, { loss });
          }
        } else {
          const now = Date.now();
          if (now - lastLine >= 1000 || e.data.value === e.data.max) {
            lastLine = now;
            process.stderr.write(`  ${label(e.data.node)}: ${e.data.value}/${e.data.max}${loss}\n`);
          }
        }
      } else if (e.type === 'executed') {
        endBar();
      }
    },
    stop: endBar,
  };
}
