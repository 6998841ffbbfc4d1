// The UNet in diffusers' UNet2DConditionModel style: sinusoidal time embedding + MLP, ResNet
// blocks (GroupNorm, SiLU, conv, time scale-shift), Transformer2D blocks (self-attention,
// cross-attention to the text, GEGLU feed-forward), down/up sampling with skip connections.
// I/O as optimum exports SD's UNet: sample, timestep, encoder_hidden_states → out_sample.
import { GraphBuilder, type ModelProto } from '../../server/onnx/index.ts';
import type { EmbeddedModelConfig } from './config.ts';
import { latentShape } from './config.ts';
import { attention, conv, gelu, groupNorm, layerNorm, linear, silu, type Ctx } from './layers.ts';
import { ParamFactory } from './params.ts';

function timeEmbedding(c: Ctx, t: string, cfg: EmbeddedModelConfig): string {
  const { g } = c;
  // diffusers Timesteps(flip_sin_to_cos=True, downscale_freq_shift=0): [cos, sin] of t·f_i.
  const half = cfg.timeFeatures / 2;
  const freqs = new Float32Array(half);
  for (let i = 0; i < half; i++) freqs[i] = Math.exp((-Math.log(10000) * i) / half);
  const args = g.node('Mul', [g.node('Unsqueeze', [t, g.ints([1])]), g.constant(freqs, [1, half])]);
  const feats = g.node('Concat', [g.node('Cos', [args]), g.node('Sin', [args])], { axis: 1 });
  const h = silu(c, linear(c, feats, 'time_embedding.linear_1', cfg.timeFeatures, cfg.timeEmbedDim));
  return linear(c, h, 'time_embedding.linear_2', cfg.timeEmbedDim, cfg.timeEmbedDim);
}

// The prompt's mean hidden state, projected and added to the time embedding (diffusers'
// `addition_embed_type="text"` idea, mean-pooled): every ResNet block then sees the global
// attributes (colour, shape class) directly, not only through cross-attention at 8×8, which
// is what lets a small model follow its prompt after minutes of CPU training.
function textTimeEmbedding(c: Ctx, text: string, cfg: EmbeddedModelConfig): string {
  const pooled = c.g.node('ReduceMean', [text, c.g.ints([1])], { keepdims: 0 });
  const h = silu(c, linear(c, pooled, 'add_embedding.linear_1', cfg.text.width, cfg.timeEmbedDim));
  return linear(c, h, 'add_embedding.linear_2', cfg.timeEmbedDim, cfg.timeEmbedDim);
}

// time_embedding_norm="scale_shift" (ADM, DeepFloyd IF): the embedding — timestep plus pooled
// prompt — scales and shifts the normalised features rather than adding a bias, so the prompt
// can switch features on and off per channel: the shape class reaches the spatial layout
// through it (with an added bias the model followed colour but drew blobs).
function resnet(c: Ctx, x: string, temb: string, name: string, cin: number, cout: number, cfg: EmbeddedModelConfig): string {
  const { g } = c;
  let h = conv(c, silu(c, groupNorm(c, x, `${name}.norm1`, cin, cfg.groups)), `${name}.conv1`, cin, cout, 3);
  const tproj = linear(c, silu(c, temb), `${name}.time_emb_proj`, cfg.timeEmbedDim, 2 * cout);
  const [scale, shift] = g.nodeMulti('Split', [g.node('Unsqueeze', [tproj, g.ints([2, 3])]), g.ints([cout, cout])], { axis: 1 }, { outputs: 2 });
  h = groupNorm(c, h, `${name}.norm2`, cout, cfg.groups);
  h = g.node('Add', [g.node('Mul', [h, g.node('Add', [scale, g.scalar(1)])]), shift]);
  h = conv(c, silu(c, h), `${name}.conv2`, cout, cout, 3);
  const skip = cin === cout ? x : conv(c, x, `${name}.conv_shortcut`, cin, cout, 1);
  return g.node('Add', [skip, h], {}, { name: `${name}/residual` });
}

function transformer(c: Ctx, x: string, text: string, name: string, ch: number, cfg: EmbeddedModelConfig): string {
  const { g } = c;
  const shape = g.node('Shape', [x]);
  const normed = groupNorm(c, x, `${name}.norm`, ch, cfg.groups, 1e-6);
  // [B, C, H, W] → [B, HW, C]
  let h = g.node('Transpose', [g.node('Reshape', [normed, g.ints([0, ch, -1])])], { perm: [0, 2, 1] });
  h = linear(c, h, `${name}.proj_in`, ch, ch);
  const blk = `${name}.transformer_blocks.0`;
  h = g.node('Add', [h, attention(c, layerNorm(c, h, `${blk}.norm1`, ch), `${blk}.attn1`, ch, cfg.heads)]);
  h = g.node('Add', [h, attention(c, layerNorm(c, h, `${blk}.norm2`, ch), `${blk}.attn2`, ch, cfg.heads, { name: text, dim: cfg.text.width })]);
  // GEGLU feed-forward: proj → (a, gate) → a · gelu(gate) → out.
  const inner = ch * cfg.ffMult;
  const proj = linear(c, layerNorm(c, h, `${blk}.norm3`, ch), `${blk}.ff.net.0.proj`, ch, 2 * inner);
  const [a, gate] = g.nodeMulti('Split', [proj, g.ints([inner, inner])], { axis: -1 }, { outputs: 2 });
  h = g.node('Add', [h, linear(c, g.node('Mul', [a, gelu(c, gate)]), `${blk}.ff.net.2`, inner, ch)]);
  h = linear(c, h, `${name}.proj_out`, ch, ch);
  const back = g.node('Reshape', [g.node('Transpose', [h], { perm: [0, 2, 1] }), shape]);
  return g.node('Add', [back, x], {}, { name: `${name}/residual` });
}

export function buildUnet(cfg: EmbeddedModelConfig, seed: number): ModelProto {
  const g = new GraphBuilder({ name: 'unet' });
  const [lc] = latentShape(cfg);
  const sample = g.input('sample', 'float32', ['batch', lc, 'height', 'width']);
  const t = g.input('timestep', 'float32', ['batch']);
  const text = g.input('encoder_hidden_states', 'float32', ['batch', 'sequence', cfg.text.width]);
  g.node('Identity', [unetBody({ g, p: new ParamFactory(g, seed) }, cfg, sample, t, text)], {}, { output: 'out_sample' });
  g.output('out_sample', 'float32', ['batch', lc, 'height', 'width']);
  return g.toModel();
}

/** The UNet's nodes on an existing builder (the base-training graph chains it after the text encoder). */
export function unetBody(c: Ctx, cfg: EmbeddedModelConfig, sample: string, t: string, text: string): string {
  const { g } = c;
  const [lc] = latentShape(cfg);
  const temb = c.g.node('Add', [timeEmbedding(c, t, cfg), textTimeEmbedding(c, text, cfg)]);
  const ch = cfg.channels;
  const levels = ch.length;

  let h = conv(c, sample, 'conv_in', lc, ch[0], 3);
  const skips: { name: string; ch: number }[] = [{ name: h, ch: ch[0] }];
  let cur = ch[0];
  for (let l = 0; l < levels; l++) {
    const name = `down_blocks.${l}`;
    h = resnet(c, h, temb, `${name}.resnets.0`, cur, ch[l], cfg);
    cur = ch[l];
    if (cfg.attention[l]) h = transformer(c, h, text, `${name}.attentions.0`, cur, cfg);
    skips.push({ name: h, ch: cur });
    if (l < levels - 1) {
      h = conv(c, h, `${name}.downsamplers.0.conv`, cur, cur, 3, 2);
      skips.push({ name: h, ch: cur });
    }
  }
  h = resnet(c, h, temb, 'mid_block.resnets.0', cur, cur, cfg);
  h = transformer(c, h, text, 'mid_block.attentions.0', cur, cfg);
  h = resnet(c, h, temb, 'mid_block.resnets.1', cur, cur, cfg);

  for (let u = 0; u < levels; u++) {
    const l = levels - 1 - u;
    const name = `up_blocks.${u}`;
    for (let r = 0; r < 2; r++) {
      const skip = skips.pop()!;
      h = g.node('Concat', [h, skip.name], { axis: 1 });
      h = resnet(c, h, temb, `${name}.resnets.${r}`, cur + skip.ch, ch[l], cfg);
      cur = ch[l];
      if (cfg.attention[l]) h = transformer(c, h, text, `${name}.attentions.${r}`, cur, cfg);
    }
    if (l > 0) {
      h = g.node('Resize', [h, '', g.constant([1, 1, 2, 2], [4])], { mode: 'nearest' });
      h = conv(c, h, `${name}.upsamplers.0.conv`, cur, cur, 3);
    }
  }
  if (skips.length !== 0) throw new Error(`unet builder: ${skips.length} skip(s) left unused`);
  return conv(c, silu(c, groupNorm(c, h, 'conv_norm_out', cur, cfg.groups)), 'conv_out', cur, lc, 3);
}
