// Latent anchoring's anchor concepts, sampled rather than listed, from the model's own
// vocabulary (never the erased concepts' tokens), for any tokenizer. Half are neighbours of the
// target prompt, when it names the concept: its tokens with each concept token swapped for a
// random one and every other token with chance 1/4 ("a red circle" → "a red square", "a tall
// moon"); half are random 1–4 token sequences, the wider space. Each is encoded by the frozen
// text encoder and kept when its text-state similarity to the target lies in the band. The
// neighbours keep near concepts intact without transport; the random ones the rest. Explicit
// anchor prompts join the draw with equal chance.
import { stateSimilarity } from '../../adapters/index.ts';
import type { LoadedModel } from '../model/index.ts';
import { encodeIds, encodeText } from '../pipeline/index.ts';
import type { Rng } from '../rng.ts';
import { frameIds } from '../tokenizer/index.ts';

const MAX_TRIES = 64;
const MAX_LEN = 4;

export interface Anchor {
  /** Encoder states [L·D]. */
  states: Float32Array;
  /** What it reads as (for logs): the sampled tokens or the explicit prompt. */
  text: string;
}

export class AnchorSampler {
  private readonly vocab: number[];
  private readonly explicit: Anchor[] = [];

  private constructor(private readonly model: LoadedModel, private readonly excluded: ReadonlySet<number>, private readonly empty: Float32Array) {
    const t = model.tokenizer;
    const special = new Set([t.bosId, t.eosId, t.padId]);
    this.vocab = Array.from({ length: t.vocabSize }, (_, i) => i).filter((i) => !special.has(i) && !excluded.has(i));
  }

  static async create(model: LoadedModel, concepts: readonly string[], prompts: readonly string[]): Promise<AnchorSampler> {
    const excluded = new Set(concepts.flatMap((c) => model.tokenizer.idsOf(c)));
    const empty = (await encodeText(model, [''])).data.slice();
    const s = new AnchorSampler(model, excluded, empty);
    if (prompts.length) {
      const e = await encodeText(model, prompts);
      const per = e.data.length / prompts.length;
      prompts.forEach((p, i) => s.explicit.push({ states: e.data.slice(i * per, (i + 1) * per), text: p }));
    }
    return s;
  }

  /** `count` anchors around a target prompt (its token ids and encoder states), from the step's random stream. */
  async draw(rng: Rng, count: number, target: { ids: readonly number[]; states: Float32Array }, band: readonly [number, number]): Promise<Anchor[]> {
    // Neighbours only of a prompt that names the concept: swapping nothing out could return the
    // target itself as an anchor, which would hold exactly what is to be erased.
    const near = target.ids.some((id) => this.excluded.has(id));
    const out: Anchor[] = [];
    for (let i = 0; i < count; i++) {
      if (this.explicit.length && (this.vocab.length === 0 || rng.int(2) === 0)) {
        out.push(this.explicit[rng.int(this.explicit.length)]);
        continue;
      }
      let best: Anchor | undefined;
      for (let k = 0; k < MAX_TRIES; k++) {
        const ids = near && rng.int(2) === 0 ? this.neighbour(rng, target.ids) : this.randomSequence(rng);
        const r = await this.encodeIds(ids);
        best = { states: r, text: ids.join(' ') };
        const sim = stateSimilarity(r, target.states, this.empty);
        if (sim >= band[0] && sim <= band[1]) break;
      }
      out.push(best!);
    }
    return out;
  }

  private randomToken(rng: Rng): number {
    return this.vocab[rng.int(this.vocab.length)];
  }

  private randomSequence(rng: Rng): number[] {
    return Array.from({ length: 1 + rng.int(MAX_LEN) }, () => this.randomToken(rng));
  }

  /** The target's ids, concept tokens always and others with chance 1/4 swapped for random vocabulary tokens. */
  private neighbour(rng: Rng, ids: readonly number[]): number[] {
    return ids.map((id) => (this.excluded.has(id) || rng.int(4) === 0 ? this.randomToken(rng) : id));
  }

  private async encodeIds(ids: number[]): Promise<Float32Array> {
    const t = this.model.tokenizer;
    return (await encodeIds(this.model, frameIds(ids, t.maxLength, t.bosId, t.eosId, t.padId))).data.slice();
  }
}
