// A small CLIP-style text encoder: token + position embeddings, pre-LN transformer layers
// with a causal mask (so padding after [EOS] never changes the real tokens' states), final
// LayerNorm. I/O as optimum exports CLIPTextModel: input_ids (int32) → last_hidden_state.
import { GraphBuilder, type ModelProto } from '../../server/onnx/index.ts';
import type { EmbeddedModelConfig } from './config.ts';
import { attention, gelu, layerNorm, linear, type Ctx } from './layers.ts';
import { ParamFactory } from './params.ts';

export function buildTextEncoder(cfg: EmbeddedModelConfig, vocabSize: number, seed: number): ModelProto {
  const g = new GraphBuilder({ name: 'text_encoder' });
  const ids = g.input('input_ids', 'int32', ['batch', 'sequence']);
  g.node('Identity', [textEncoderBody({ g, p: new ParamFactory(g, seed) }, cfg, vocabSize, ids)], {}, { output: 'last_hidden_state' });
  g.output('last_hidden_state', 'float32', ['batch', 'sequence', cfg.text.width]);
  return g.toModel();
}

/** The encoder's nodes on an existing builder; returns the last hidden state. */
export function textEncoderBody(c: Ctx, cfg: EmbeddedModelConfig, vocabSize: number, ids: string): string {
  const { g } = c;
  const { width, maxLength, layers, heads, mlp } = cfg.text;

  const tok = c.p.normal('text_model.embeddings.token_embedding.weight', [vocabSize, width], 1, 0.5);
  const pos = c.p.normal('text_model.embeddings.position_embedding.weight', [maxLength, width], 1, 0.5);
  // Sequence length L from the input; positions and mask are sliced to it.
  const len = g.node('Gather', [g.node('Shape', [ids]), g.ints([1])], { axis: 0 });
  const zero = g.ints([0]);
  let h = g.node('Add', [g.node('Gather', [tok, ids], { axis: 0 }), g.node('Slice', [pos, zero, len, zero])]);

  const causal = new Float32Array(maxLength * maxLength);
  for (let i = 0; i < maxLength; i++) for (let j = i + 1; j < maxLength; j++) causal[i * maxLength + j] = -1e4;
  const both = g.ints([0, 1]);
  const mask = g.node('Slice', [g.constant(causal, [maxLength, maxLength]), g.ints([0, 0]), g.node('Concat', [len, len], { axis: 0 }), both]);

  for (let l = 0; l < layers; l++) {
    const name = `text_model.encoder.layers.${l}`;
    h = g.node('Add', [h, attention(c, layerNorm(c, h, `${name}.layer_norm1`, width), `${name}.self_attn`, width, heads, undefined, mask)]);
    const m = linear(c, gelu(c, linear(c, layerNorm(c, h, `${name}.layer_norm2`, width), `${name}.mlp.fc1`, width, mlp)), `${name}.mlp.fc2`, mlp, width);
    h = g.node('Add', [h, m]);
  }
  return layerNorm(c, h, 'text_model.final_layer_norm', width);
}
