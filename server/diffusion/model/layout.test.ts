import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPartIo, readLayout } from './layout.ts';

function fakeModel(): string {
  const d = mkdtempSync(join(tmpdir(), 'layout-'));
  writeFileSync(join(d, 'model_index.json'), '{"_class_name":"OnnxStableDiffusionPipeline"}');
  for (const p of ['unet', 'text_encoder', 'vae_encoder', 'vae_decoder']) {
    mkdirSync(join(d, p));
    writeFileSync(join(d, p, 'model.onnx'), '');
  }
  mkdirSync(join(d, 'tokenizer'));
  writeFileSync(join(d, 'tokenizer', 'tokenizer_config.json'), '{}');
  mkdirSync(join(d, 'scheduler'));
  writeFileSync(join(d, 'scheduler', 'scheduler_config.json'), '{"beta_schedule":"scaled_linear"}');
  writeFileSync(join(d, 'vae_decoder', 'config.json'), '{"scaling_factor":0.18215}');
  return d;
}

describe('readLayout', () => {
  it('reads a complete folder', () => {
    const l = readLayout(fakeModel());
    expect(l.vaeScalingFactor).toBe(0.18215);
    expect(l.schedulerConfig.beta_schedule).toBe('scaled_linear');
    expect(l.parts.unet.endsWith('unet/model.onnx')).toBe(true);
  });

  it('names every missing part', () => {
    const d = fakeModel();
    rmSync(join(d, 'vae_encoder'), { recursive: true });
    rmSync(join(d, 'scheduler'), { recursive: true });
    expect(() => readLayout(d)).toThrow(/missing vae_encoder\/model\.onnx, scheduler\/scheduler_config\.json/);
  });

  it('refuses a corrupt model_index.json and a missing folder', () => {
    const d = fakeModel();
    writeFileSync(join(d, 'model_index.json'), '{oops');
    expect(() => readLayout(d)).toThrow(/model_index.json is not a JSON object/);
    expect(() => readLayout(join(d, 'nope'))).toThrow(/does not exist/);
  });
});

describe('checkPartIo', () => {
  it('accepts either VAE encoder output name and checks ranks', () => {
    expect(checkPartIo('vae_encoder', [{ name: 'sample', rank: 4 }], [{ name: 'latent_parameters', rank: 4 }]).outputs).toEqual(['latent_parameters']);
    expect(() => checkPartIo('unet', [{ name: 'sample', rank: 4 }, { name: 'timestep', rank: 1 }], [{ name: 'out_sample', rank: 4 }])).toThrow(
      /unet: no input named encoder_hidden_states/,
    );
    expect(() => checkPartIo('text_encoder', [{ name: 'input_ids', rank: 3 }], [{ name: 'last_hidden_state', rank: 3 }])).toThrow(/input_ids has rank 3, expected 2/);
  });
});
