// The text input of a training graph for a batch's prompts: token ids when the text encoder
// is in the graph (int64 or int32, as its input is declared), else the frozen base encoder's
// states (float16 or float32), each prompt encoded once.
import { DataType, ort } from '../../onnx/index.ts';
import { float32ToHalf, type LoadedModel } from '../model/index.ts';
import type { BaseTextStates } from './base-text.ts';
import type { TrainGraph } from './train-graph.ts';

export async function textFeed(model: LoadedModel, text: TrainGraph['text'], baseText: BaseTextStates, prompts: string[]): Promise<ort.Tensor> {
  const L = model.tokenizer.maxLength;
  if (text.dims.length === 2) {
    const ids = new Int32Array(prompts.length * L);
    prompts.forEach((p, i) => ids.set(model.tokenizer.encode(p), i * L));
    return text.elemType === DataType.INT64
      ? new ort.Tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), [prompts.length, L])
      : new ort.Tensor('int32', ids, [prompts.length, L]);
  }
  // UNet only: the text encoder is not trained, so each prompt is encoded once.
  const D = text.dims[2];
  const out = (await baseText.stack(prompts)).data;
  return text.elemType === DataType.FLOAT16
    ? new ort.Tensor('float16', float32ToHalf(out), [prompts.length, L, D])
    : new ort.Tensor('float32', out, [prompts.length, L, D]);
}
