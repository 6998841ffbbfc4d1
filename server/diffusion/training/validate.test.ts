import { describe, expect, it } from 'vitest';
import type { ImageBatch } from '../../../nodes/define.ts';
import { validateTraining, type TrainRequest } from './validate.ts';

const batch = (n: number, w: number, h: number): ImageBatch => ({ data: new Float32Array(n * w * h * 3).fill(0.5), shape: [n, h, w, 3] });

function request(over: Partial<TrainRequest> = {}): TrainRequest {
  return {
    subjects: [{ images: batch(2, 16, 16), prompt: 'a sks heart', classPrompt: 'a heart', identifier: 'sks', suffix: '' }],
    priorWeight: 1, numClassImages: 4, steps: 10, batchSize: 1, lr: 1e-3, lr1d: 1e-6, lrTextEncoder: 1e-3, weightDecay: 0.01, maxGradNorm: 1,
    seed: 0, resolution: 16, randomCrop: true, randomFlip: true, parts: 'unet', mixProbability: 0.6, unmixWeight: 0, checkpointEvery: 0,
    ...over,
  };
}
const subject = (over: Partial<TrainRequest['subjects'][number]>) => ({ ...request().subjects[0], ...over });

describe('training input validation', () => {
  it('accepts a DreamBooth request and a single-image (λ = 0, no identifier) request', () => {
    expect(validateTraining(request(), 2).settings.subjects[0].images).toHaveLength(2);
    const single = validateTraining(request({ priorWeight: 0, subjects: [subject({ prompt: 'a red circle on a blue background', classPrompt: '', identifier: '' })] }), 2);
    expect(single.settings.subjects[0].identifier).toBe('');
  });

  it('no images', () => {
    expect(() => validateTraining(request({ subjects: [subject({ images: undefined })] }), 2)).toThrow('input "images": has no images');
    expect(() => validateTraining(request({ subjects: [subject({ images: { data: new Float32Array(0), shape: [0, 16, 16, 3] } })] }), 2)).toThrow(/input "images": has no images/);
  });

  it('images of another size are resized (cover), with a note', () => {
    const v = validateTraining(request({ subjects: [subject({ images: batch(3, 40, 30) })] }), 2);
    expect(v.settings.subjects[0].images.every((im) => im.width === 16 && im.height === 16)).toBe(true);
    expect(v.notes.join()).toMatch(/3 image\(s\) of 40×30 centre-cropped to a square and resized to 16×16/);
  });

  it('identifier missing from the prompt, or inside the class prompt', () => {
    expect(() => validateTraining(request({ subjects: [subject({ prompt: 'a heart' })] }), 2)).toThrow(/input "instance_prompt": "a heart" does not contain the identifier "sks"/);
    expect(() => validateTraining(request({ subjects: [subject({ prompt: 'a sksy heart' })] }), 2)).toThrow(/does not contain the identifier/);
    expect(() => validateTraining(request({ subjects: [subject({ classPrompt: 'a sks heart' })] }), 2)).toThrow(/input "class_prompt": .* contains the identifier/);
  });

  it('λ > 0 without a class prompt', () => {
    expect(() => validateTraining(request({ subjects: [subject({ classPrompt: '  ' })] }), 2)).toThrow(/input "class_prompt": is empty, but prior_weight is 1/);
    expect(() => validateTraining(request({ priorWeight: 0, subjects: [subject({ classPrompt: '' })] }), 2)).not.toThrow();
  });

  it('bad numbers and sizes name their input', () => {
    expect(() => validateTraining(request({ resolution: 15 }), 2)).toThrow(/input "resolution": must be a multiple of 2/);
    expect(() => validateTraining(request({ lr: Number.NaN }), 2)).toThrow(/input "learning_rate"/);
    expect(() => validateTraining(request({ parts: 'vae' }), 2)).toThrow(/input "train_parts"/);
    expect(() => validateTraining(request({ lrTextEncoder: -1 }), 2)).toThrow(/input "learning_rate_text_encoder"/);
  });

  it('preservation prompts: blank lines dropped, λ > 0 needed, at most 64', () => {
    expect(validateTraining(request({ preservePrompts: [' a red circle ', '', '  ', 'a blue star'] }), 2).settings.preservePrompts).toEqual(['a red circle', 'a blue star']);
    expect(validateTraining(request(), 2).settings.preservePrompts).toEqual([]);
    expect(() => validateTraining(request({ priorWeight: 0, preservePrompts: ['a red circle'] }), 2)).toThrow(/input "preserve_prompts": needs prior_weight > 0/);
    expect(() => validateTraining(request({ preservePrompts: Array.from({ length: 65 }, (_, i) => `a red circle ${i}`) }), 2)).toThrow(/input "preserve_prompts": has 65 prompts; at most 64/);
  });

  it('prior target: noise unless chosen, one of the two names', () => {
    expect(validateTraining(request(), 2).settings.priorTarget).toBe('noise');
    expect(validateTraining(request({ priorTarget: 'base_prediction' }), 2).settings.priorTarget).toBe('base_prediction');
    expect(() => validateTraining(request({ priorTarget: 'base' }), 2)).toThrow(/input "prior_target": must be one of noise, base_prediction, got "base"/);
  });

  it('several subjects need distinct identifiers', () => {
    const second = { images: batch(1, 16, 16), prompt: 'a xvg moon', classPrompt: 'a moon', identifier: 'xvg', suffix: '_2' };
    expect(validateTraining(request({ subjects: [request().subjects[0], second] }), 2).settings.subjects).toHaveLength(2);
    expect(() => validateTraining(request({ subjects: [request().subjects[0], { ...second, identifier: 'SKS', prompt: 'a sks moon' }] }), 2)).toThrow(/input "identifier_2": "SKS" is already/);
    expect(() => validateTraining(request({ subjects: [request().subjects[0], { ...second, images: undefined }] }), 2)).toThrow(/input "images_2": has no images/);
  });
});
