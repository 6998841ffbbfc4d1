import { describe, expect, it } from 'vitest';
import { buildEmbeddedParts, TINY_TEST_CONFIG } from '../../research/embedded-model/index.ts';
import { GraphBuilder } from '../onnx/index.ts';
import { findSpectralLayers, moduleName } from './layers.ts';
import { isAttentionLayer, nameMatcher, selectLayers, selectionHash } from './selection.ts';
import { buildTestGraph, TEST_GRAPH_LAYERS } from './graphs.testing.ts';

describe('findSpectralLayers', () => {
  it('finds conv, MatMul, Gemm(transB), Transposed and renamed weights, LayerNorm and GroupNorm scales; nothing else', () => {
    const layers = findSpectralLayers(buildTestGraph(), 'unet');
    const got = Object.fromEntries(layers.map((l) => [l.name, [l.kind, l.rows, l.cols, l.k]]));
    expect(got).toEqual(TEST_GRAPH_LAYERS);
    const by = new Map(layers.map((l) => [l.name, l]));
    expect(by.get('tw')!.use).toBe('Transpose→MatMul');
    expect(by.get('gemm')!.use).toBe('Gemm(transB)');
    expect(by.get('gn')!.use).toBe('Unsqueeze→Mul');
    expect(by.get('ln')!.use).toBe('LayerNormalization');
    expect(by.get('blocks.0.attn1.to_q')!.initializer).toBe('onnx::MatMul_99');
    expect(by.get('conv')!.shape).toEqual([4, 3, 3, 3]);
    // Graph order: the conv comes first, the LayerNorm last.
    expect(layers[0].name).toBe('conv');
    expect(layers.at(-1)!.name).toBe('ln');
  });

  it('ignores 1-D tensors that only meet a Mul with a non-normalised operand, and int or 0-D tensors', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [2, 4]);
    const gain = g.initializer('gain.weight', [1, 2, 3, 4], [4]);
    g.node('Mul', [x, gain], {}, { output: 'y' });
    g.output('y', 'float32', [2, 4]);
    expect(findSpectralLayers(g.toModel(), 'unet')).toEqual([]);
  });

  it('a linear with one output is a matrix (k = 1), not a norm scale', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [2, 4]);
    g.node('MatMul', [x, g.initializer('head.weight', [1, 2, 3, 4], [4, 1])], {}, { output: 'y' });
    g.output('y', 'float32', [2, 1]);
    expect(findSpectralLayers(g.toModel(), 'unet').map((l) => [l.name, l.kind, l.k])).toEqual([['head', 'matrix', 1]]);
  });

  it('names layers by module path, from the initializer or the torch node name', () => {
    expect(moduleName('down_blocks.0.resnets.0.conv1.weight')).toBe('down_blocks.0.resnets.0.conv1');
    expect(moduleName('onnx::MatMul_1234', { name: '/down_blocks.0/attentions.0/transformer_blocks.0/attn2/to_k/MatMul' })).toBe(
      'down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k',
    );
    expect(moduleName('onnx::MatMul_1234', { name: 'MatMul_17' })).toBe('onnx::MatMul_1234');
  });

  it('covers the embedded architecture: every linear, conv, embedding and norm scale', () => {
    const parts = buildEmbeddedParts(TINY_TEST_CONFIG, 1);
    const unet = findSpectralLayers(parts.unet, 'unet');
    const te = findSpectralLayers(parts.text_encoder, 'text_encoder');
    const weights = (m: typeof parts.unet) => (m.graph!.initializer ?? []).filter((t) => t.name!.endsWith('.weight')).map((t) => t.name!.slice(0, -7)).sort();
    // Every named weight of the builders is a layer (biases never are).
    expect(unet.map((l) => l.name).sort()).toEqual(weights(parts.unet));
    expect(te.map((l) => l.name).sort()).toEqual(weights(parts.text_encoder));
    const conv1 = unet.find((l) => l.name === 'down_blocks.0.resnets.0.conv1')!;
    expect([conv1.kind, conv1.rows, conv1.cols]).toEqual(['conv', 8, 8 * 9]);
    expect(te.find((l) => l.name === 'text_model.embeddings.token_embedding')!.use).toBe('Gather');
  });
});

describe('layer selection', () => {
  const layers = [
    { name: 'down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q', part: 'unet' as const },
    { name: 'down_blocks.1.attentions.0.proj_in', part: 'unet' as const },
    { name: 'down_blocks.0.resnets.0.conv1', part: 'unet' as const },
    { name: 'text_model.encoder.layers.0.self_attn.to_k', part: 'text_encoder' as const },
  ];
  it('attention = layers inside an attention module (not the whole transformer block)', () => {
    expect(selectLayers(layers, { parts: ['unet', 'text_encoder'], layers: 'attention', nameFilter: '' }).map((l) => l.name)).toEqual([layers[0].name, layers[3].name]);
    expect(isAttentionLayer('down_blocks.1.attentions.0.proj_in')).toBe(false);
  });
  it('parts and name filters (regex, or substring when not a regex)', () => {
    expect(selectLayers(layers, { parts: ['unet'], layers: 'all', nameFilter: '' })).toHaveLength(3);
    expect(selectLayers(layers, { parts: ['unet'], layers: 'all', nameFilter: 'conv\\d$' }).map((l) => l.name)).toEqual([layers[2].name]);
    expect(nameMatcher('attn1.to_(')('x.attn1.to_(y')).toBe(true);
    expect(nameMatcher('attn1.to_(')('x.attn1.to_q')).toBe(false);
    expect(selectionHash({ parts: ['text_encoder', 'unet'], layers: 'all', nameFilter: ' a ' })).toBe(selectionHash({ parts: ['unet', 'text_encoder'], layers: 'all', nameFilter: 'a' }));
  });
});
