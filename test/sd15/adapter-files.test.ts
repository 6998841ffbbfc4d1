// Adapters on the graphs torch exports (the SD 1.5-architecture fixtures): every UNet linear
// and conv layer takes one, under the module path kohya's scripts key it by, whether the export
// kept the weight's name (convs) or renamed it (`onnx::MatMul_…`: named from its node); a
// kohya-style LoRA file for those paths loads (F32, with alpha) and bakes onto the fp16 export
// too, and its text-encoder keys are reported, not applied.
import { afterAll, describe, expect, it } from 'vitest';
import { LoadedModel } from '../../server/diffusion/index.ts';
import { adapterOverrides, adapterTargets, decodeAdapterFile, loraKey } from '../../server/adapters/index.ts';
import { modelLayers, serializeSafetensors } from '../../server/spectral/index.ts';
import { fixtureStorage } from './sd15.testing.ts';

const { storage, cleanup } = fixtureStorage(['opset14', 'fp16']);
afterAll(cleanup);

describe('adapters on torch-exported SD 1.5 graphs', () => {
  it('kohya keys map by module path; a LoRA file loads and bakes; text-encoder keys are reported', async () => {
    const model = await LoadedModel.load(`${storage.modelsDir}/opset14`);
    const targets = adapterTargets(modelLayers(model, ['unet']));
    const names = targets.map((t) => t.name);
    expect(names).toContain('down_blocks.0.resnets.0.conv1');
    expect(names.some((n) => /attn2\.to_k$/.test(n))).toBe(true);
    expect(names.every((n) => !n.includes('::'))).toBe(true);
    const attn = targets.find((t) => /attn2\.to_k$/.test(t.name))!;
    const conv = targets.find((t) => t.name === 'down_blocks.0.resnets.0.conv1')!;
    const tensors = new Map<string, { data: Float32Array; shape?: number[] }>();
    for (const t of [attn, conv]) {
      const k = loraKey(t.name);
      const kernel = t.shape.length === 4 ? t.shape.slice(2) : [];
      const cin = t.in / kernel.reduce((a, b) => a * b, 1);
      tensors.set(`${k}.lora_up.weight`, { data: Float32Array.from({ length: t.out * 4 }, (_, i) => Math.sin(i) * 0.01), shape: kernel.length ? [t.out, 4, 1, 1] : [t.out, 4] });
      tensors.set(`${k}.lora_down.weight`, { data: Float32Array.from({ length: 4 * t.in }, (_, i) => Math.cos(i) * 0.1), shape: kernel.length ? [4, cin, ...kernel] : [4, t.in] });
      tensors.set(`${k}.alpha`, { data: Float32Array.of(2), shape: [] });
    }
    tensors.set('lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight', { data: new Float32Array(4), shape: [4, 1] });
    const file = serializeSafetensors(tensors, { ss_network_module: 'networks.lora' });
    for (const variant of ['opset14', 'fp16']) {
      const m = await LoadedModel.load(`${storage.modelsDir}/${variant}`);
      const { adapter, unmapped } = decodeAdapterFile(file, m);
      expect([...adapter.layers.keys()].sort()).toEqual([attn.name, conv.name].sort());
      expect(adapter.layers.get(attn.name)!.alpha).toBe(2);
      expect(unmapped).toEqual(['lora_te_text_model_encoder_layers_0_self_attn_q_proj (not a UNet layer)']);
      const baked = adapterOverrides(m, [{ adapter, strength: 1, label: 'lora' }], [1]);
      expect(baked.layers).toBe(2);
      expect(baked.overrides.get(conv.initializer)!.length).toBe(conv.out * conv.in);
    }
  }, 120_000);
});
