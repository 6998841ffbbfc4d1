// The shiftable layers of SD 1.5's UNet and of CLIP ViT-L/14's text encoder, derived from their
// configs (diffusers UNet2DConditionModel: block_out_channels 320/640/1280/1280,
// layers_per_block 2, cross_attention_dim 768, GEGLU feed-forward, 1×1-conv proj_in/proj_out;
// CLIP: 12 layers, width 768, MLP 3072). Names follow the PyTorch module paths. Used for
// parameter counts, file sizes and the SVD benchmark; the real layer list comes from the model.

export interface LayerSpec {
  name: string;
  /** Original weight shape (conv: out, in, kh, kw). */
  shape: number[];
  /** 2-D view for the SVD (conv reshaped to out × in·kh·kw), or null for a 1-D norm scale. */
  matrix: [number, number] | null;
}

/** Number of δ values a layer gets: min(m, n) for a matrix, 1 for a norm scale. */
export function deltaLength(l: LayerSpec): number {
  return l.matrix ? Math.min(l.matrix[0], l.matrix[1]) : 1;
}

export function sd15UnetLayers(): LayerSpec[] {
  const out: LayerSpec[] = [];
  const conv = (name: string, o: number, i: number, k: number) => out.push({ name, shape: [o, i, k, k], matrix: [o, i * k * k] });
  const linear = (name: string, o: number, i: number) => out.push({ name, shape: [o, i], matrix: [o, i] });
  const norm = (name: string, c: number) => out.push({ name, shape: [c], matrix: null });
  const temb = 1280;
  const ctx = 768;
  const resnet = (p: string, cin: number, cout: number) => {
    norm(`${p}.norm1`, cin);
    conv(`${p}.conv1`, cout, cin, 3);
    linear(`${p}.time_emb_proj`, cout, temb);
    norm(`${p}.norm2`, cout);
    conv(`${p}.conv2`, cout, cout, 3);
    if (cin !== cout) conv(`${p}.conv_shortcut`, cout, cin, 1);
  };
  const transformer = (p: string, c: number) => {
    norm(`${p}.norm`, c);
    conv(`${p}.proj_in`, c, c, 1);
    const t = `${p}.transformer_blocks.0`;
    norm(`${t}.norm1`, c);
    for (const w of ['to_q', 'to_k', 'to_v']) linear(`${t}.attn1.${w}`, c, c);
    linear(`${t}.attn1.to_out.0`, c, c);
    norm(`${t}.norm2`, c);
    linear(`${t}.attn2.to_q`, c, c);
    linear(`${t}.attn2.to_k`, c, ctx);
    linear(`${t}.attn2.to_v`, c, ctx);
    linear(`${t}.attn2.to_out.0`, c, c);
    norm(`${t}.norm3`, c);
    linear(`${t}.ff.net.0.proj`, 8 * c, c); // GEGLU: 2 × (4c)
    linear(`${t}.ff.net.2`, c, 4 * c);
    conv(`${p}.proj_out`, c, c, 1);
  };
  const ch = [320, 640, 1280, 1280];
  conv('conv_in', 320, 4, 3);
  linear('time_embedding.linear_1', temb, 320);
  linear('time_embedding.linear_2', temb, temb);
  let prev = 320;
  ch.forEach((c, i) => {
    const attn = i < 3;
    for (let j = 0; j < 2; j++) {
      resnet(`down_blocks.${i}.resnets.${j}`, j === 0 ? prev : c, c);
      if (attn) transformer(`down_blocks.${i}.attentions.${j}`, c);
    }
    if (i < 3) conv(`down_blocks.${i}.downsamplers.0.conv`, c, c, 3);
    prev = c;
  });
  resnet('mid_block.resnets.0', 1280, 1280);
  transformer('mid_block.attentions.0', 1280);
  resnet('mid_block.resnets.1', 1280, 1280);
  const rev = [...ch].reverse();
  rev.forEach((c, i) => {
    const prevOut = rev[Math.max(i - 1, 0)];
    const inputCh = rev[Math.min(i + 1, 3)];
    for (let j = 0; j < 3; j++) {
      const skip = j === 2 ? inputCh : c;
      const cin = (j === 0 ? prevOut : c) + skip;
      resnet(`up_blocks.${i}.resnets.${j}`, cin, c);
      if (i > 0) transformer(`up_blocks.${i}.attentions.${j}`, c);
    }
    if (i < 3) conv(`up_blocks.${i}.upsamplers.0.conv`, c, c, 3);
  });
  norm('conv_norm_out', 320);
  conv('conv_out', 4, 320, 3);
  return out;
}

/** CLIP ViT-L/14 text encoder (SD 1.x): embeddings, 12 pre-LN layers, final LayerNorm. */
export function clipTextLayers(opts: { embeddings?: boolean } = {}): LayerSpec[] {
  const out: LayerSpec[] = [];
  const w = 768;
  const mlp = 3072;
  if (opts.embeddings ?? true) {
    out.push({ name: 'text_model.embeddings.token_embedding', shape: [49408, w], matrix: [49408, w] });
    out.push({ name: 'text_model.embeddings.position_embedding', shape: [77, w], matrix: [77, w] });
  }
  for (let i = 0; i < 12; i++) {
    const p = `text_model.encoder.layers.${i}`;
    out.push({ name: `${p}.layer_norm1`, shape: [w], matrix: null });
    for (const q of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) out.push({ name: `${p}.self_attn.${q}`, shape: [w, w], matrix: [w, w] });
    out.push({ name: `${p}.layer_norm2`, shape: [w], matrix: null });
    out.push({ name: `${p}.mlp.fc1`, shape: [mlp, w], matrix: [mlp, w] });
    out.push({ name: `${p}.mlp.fc2`, shape: [w, mlp], matrix: [w, mlp] });
  }
  out.push({ name: 'text_model.final_layer_norm', shape: [w], matrix: null });
  return out;
}
