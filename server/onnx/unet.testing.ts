// A small text-conditioned UNet built with GraphBuilder, shaped like what torch.onnx.export
// emits for diffusers' UNet2DConditionModel: torch-style GroupNorm (Reshape +
// InstanceNormalization + affine), SiLU as Sigmoid·x, sinusoidal time embedding, ResNet blocks,
// transformer blocks with self- and cross-attention (MatMul/Softmax), GEGLU feed-forward with
// Erf-GELU, strided-conv downsampling and nearest-Resize upsampling. Used by tests and bench.
import { GraphBuilder } from './builder.ts';
import type { ModelProto } from './proto.ts';
import { normal, rng } from './autodiff/gradcheck.ts';

export interface UNetConfig {
  inChannels: number;
  channels: number[];
  contextDim: number;
  heads: number;
  groups: number;
  /** Static batch / size / sequence length, or undefined for free dims. */
  batch?: number;
  size?: number;
  seqLen?: number;
  seed?: number;
  opset?: number;
}

export const TINY_UNET: UNetConfig = { inChannels: 4, channels: [16, 32], contextDim: 24, heads: 2, groups: 4 };
/** About 1.6 M parameters (the benchmark model). */
export const BENCH_UNET: UNetConfig = { inChannels: 4, channels: [40, 80], contextDim: 64, heads: 4, groups: 8 };

export function buildUNet(cfg: UNetConfig): { model: ModelProto; params: string[] } {
  const b = new GraphBuilder({ opset: cfg.opset ?? 17, name: 'unet' });
  const rand = rng(cfg.seed ?? 7);
  const params: string[] = [];
  const param = (name: string, dims: number[], init: 'normal' | 'zeros' | 'ones' = 'normal', fanIn = 1) => {
    const n = dims.reduce((a, c) => a * c, 1);
    const std = 1 / Math.sqrt(fanIn);
    const data = init === 'ones' ? new Float32Array(n).fill(1) : init === 'zeros' ? new Float32Array(n)
      : Float32Array.from({ length: n }, () => normal(rand) * std);
    params.push(name);
    return b.initializer(name, data, dims);
  };
  const f = (v: number) => b.constant([v], [], 'float32');
  const B = cfg.batch ?? 'batch', S = cfg.size ?? 'size', L = cfg.seqLen ?? 'seq';
  b.input('sample', 'float32', [B, cfg.inChannels, S, S]);
  b.input('timestep', 'float32', [B]);
  b.input('encoder_hidden_states', 'float32', [B, L, cfg.contextDim]);

  const silu = (x: string) => b.node('Mul', [x, b.node('Sigmoid', [x])]);
  const linear = (x: string, p: string, fin: number, fout: number, bias = true) => {
    const y = b.node('MatMul', [x, param(`${p}.weight`, [fin, fout], 'normal', fin)]);
    return bias ? b.node('Add', [y, param(`${p}.bias`, [fout], 'zeros')]) : y;
  };
  const conv = (x: string, p: string, cin: number, cout: number, k: number, stride = 1) =>
    b.node('Conv', [x, param(`${p}.weight`, [cout, cin, k, k], 'normal', cin * k * k), param(`${p}.bias`, [cout], 'zeros')],
      { kernel_shape: [k, k], pads: Array(4).fill((k - 1) >> 1), strides: [stride, stride] });
  // torch.onnx GroupNorm: Reshape(B, G, -1) -> InstanceNormalization -> Reshape back -> affine.
  const groupNorm = (x: string, p: string, c: number) => {
    const shp = b.node('Shape', [x]);
    const r = b.node('Reshape', [x, b.ints([0, cfg.groups, -1])]);
    const inorm = b.node('InstanceNormalization', [r, b.constant(new Float32Array(cfg.groups).fill(1), [cfg.groups]), b.constant(new Float32Array(cfg.groups), [cfg.groups])], { epsilon: 1e-5 });
    const back = b.node('Reshape', [inorm, shp]);
    const w = b.node('Unsqueeze', [param(`${p}.weight`, [c], 'ones'), b.ints([1, 2])]);
    const bb = b.node('Unsqueeze', [param(`${p}.bias`, [c], 'zeros'), b.ints([1, 2])]);
    return b.node('Add', [b.node('Mul', [back, w]), bb]);
  };
  const layerNorm = (x: string, p: string, c: number) =>
    b.node('LayerNormalization', [x, param(`${p}.weight`, [c], 'ones'), param(`${p}.bias`, [c], 'zeros')], { axis: -1, epsilon: 1e-5 });

  const tdim = cfg.channels[0] * 4;
  // Sinusoidal timestep embedding (as diffusers' get_timestep_embedding, flip_sin_to_cos).
  const half = cfg.channels[0] / 2;
  const freqs = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
  const targ = b.node('Mul', [b.node('Unsqueeze', ['timestep', b.ints([1])]), b.constant(freqs, [1, half], 'float32')]);
  const temb0 = b.node('Concat', [b.node('Cos', [targ]), b.node('Sin', [targ])], { axis: -1 });
  const temb = linear(silu(linear(temb0, 'time_embedding.linear_1', cfg.channels[0], tdim)), 'time_embedding.linear_2', tdim, tdim);
  const tembAct = silu(temb);

  const resnet = (x: string, p: string, cin: number, cout: number) => {
    let h = conv(silu(groupNorm(x, `${p}.norm1`, cin)), `${p}.conv1`, cin, cout, 3);
    const t = b.node('Unsqueeze', [linear(tembAct, `${p}.time_emb_proj`, tdim, cout), b.ints([2, 3])]);
    h = b.node('Add', [h, t]);
    h = conv(silu(groupNorm(h, `${p}.norm2`, cout)), `${p}.conv2`, cout, cout, 3);
    const skip = cin === cout ? x : conv(x, `${p}.conv_shortcut`, cin, cout, 1);
    return b.node('Add', [skip, h]);
  };
  const attention = (x: string, ctx: string, p: string, c: number, cctx: number) => {
    const hd = c / cfg.heads;
    const heads = (t: string) => b.node('Transpose', [b.node('Reshape', [t, b.ints([0, 0, cfg.heads, hd])])], { perm: [0, 2, 1, 3] });
    const q = heads(linear(x, `${p}.to_q`, c, c, false));
    const k = heads(linear(ctx, `${p}.to_k`, cctx, c, false));
    const v = heads(linear(ctx, `${p}.to_v`, cctx, c, false));
    // As torch.onnx exports scaled_dot_product_attention (diffusers' default processor): q and
    // kᵀ are each scaled by √scale before the MatMul, never the N×N scores.
    const s = f(Math.sqrt(1 / Math.sqrt(hd)));
    const kt = b.node('Mul', [b.node('Transpose', [k], { perm: [0, 1, 3, 2] }), s]);
    const probs = b.node('Softmax', [b.node('MatMul', [b.node('Mul', [q, s]), kt])], { axis: -1 });
    const o = b.node('Reshape', [b.node('Transpose', [b.node('MatMul', [probs, v])], { perm: [0, 2, 1, 3] }), b.ints([0, 0, c])]);
    return linear(o, `${p}.to_out.0`, c, c);
  };
  const transformerBlock = (x: string, p: string, c: number) => {
    const shp = b.node('Shape', [x]);
    let h = conv(groupNorm(x, `${p}.norm`, c), `${p}.proj_in`, c, c, 1);
    h = b.node('Transpose', [b.node('Reshape', [h, b.ints([0, c, -1])])], { perm: [0, 2, 1] });
    const tb = `${p}.transformer_blocks.0`;
    const n1 = layerNorm(h, `${tb}.norm1`, c);
    h = b.node('Add', [attention(n1, n1, `${tb}.attn1`, c, c), h]);
    h = b.node('Add', [attention(layerNorm(h, `${tb}.norm2`, c), 'encoder_hidden_states', `${tb}.attn2`, c, cfg.contextDim), h]);
    // GEGLU feed-forward with the Erf form of GELU (what opset-17 exports contain).
    const proj = linear(layerNorm(h, `${tb}.norm3`, c), `${tb}.ff.net.0.proj`, c, 8 * c);
    const [a, gate] = b.nodeMulti('Split', [proj, b.ints([4 * c, 4 * c])], { axis: -1 }, { outputs: 2 });
    const gelu = b.node('Mul', [b.node('Mul', [gate, b.node('Add', [b.node('Erf', [b.node('Div', [gate, f(Math.SQRT2)])]), f(1)])]), f(0.5)]);
    h = b.node('Add', [linear(b.node('Mul', [a, gelu]), `${tb}.ff.net.2`, 4 * c, c), h]);
    h = b.node('Reshape', [b.node('Transpose', [h], { perm: [0, 2, 1] }), shp]);
    return b.node('Add', [conv(h, `${p}.proj_out`, c, c, 1), x]);
  };

  const [c0, c1] = cfg.channels;
  let h = conv('sample', 'conv_in', cfg.inChannels, c0, 3);
  const skips = [h];
  h = transformerBlock(resnet(h, 'down_blocks.0.resnets.0', c0, c0), 'down_blocks.0.attentions.0', c0);
  skips.push(h);
  h = conv(h, 'down_blocks.0.downsamplers.0.conv', c0, c0, 3, 2);
  skips.push(h);
  h = transformerBlock(resnet(h, 'down_blocks.1.resnets.0', c0, c1), 'down_blocks.1.attentions.0', c1);
  skips.push(h);
  h = resnet(h, 'mid_block.resnets.0', c1, c1);
  h = transformerBlock(h, 'mid_block.attentions.0', c1);
  h = resnet(h, 'mid_block.resnets.1', c1, c1);
  // up block 0 (low resolution)
  h = transformerBlock(resnet(b.node('Concat', [h, skips.pop()!], { axis: 1 }), 'up_blocks.0.resnets.0', 2 * c1, c1), 'up_blocks.0.attentions.0', c1);
  h = transformerBlock(resnet(b.node('Concat', [h, skips.pop()!], { axis: 1 }), 'up_blocks.0.resnets.1', c1 + c0, c1), 'up_blocks.0.attentions.1', c1);
  h = b.node('Resize', [h, '', b.constant([1, 1, 2, 2], [4], 'float32')], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
  h = conv(h, 'up_blocks.0.upsamplers.0.conv', c1, c1, 3);
  // up block 1 (full resolution)
  h = transformerBlock(resnet(b.node('Concat', [h, skips.pop()!], { axis: 1 }), 'up_blocks.1.resnets.0', c1 + c0, c0), 'up_blocks.1.attentions.0', c0);
  h = transformerBlock(resnet(b.node('Concat', [h, skips.pop()!], { axis: 1 }), 'up_blocks.1.resnets.1', 2 * c0, c0), 'up_blocks.1.attentions.1', c0);
  h = conv(silu(groupNorm(h, 'conv_norm_out', c0)), 'conv_out', c0, cfg.inChannels, 3);
  b.node('Identity', [h], {}, { output: 'out_sample' });
  b.output('out_sample', 'float32', [B, cfg.inChannels, S, S]);
  return { model: b.toModel(), params };
}
