import { describe, expect, it } from 'vitest';
import type { ApiPrompt } from '../../nodes/define.ts';
import { ancestors, asLink, compareIds, planExecution } from './plan.ts';

const node = (class_type: string, inputs: Record<string, unknown> = {}) => ({ class_type, inputs });

describe('planExecution', () => {
  it('orders only the ancestors of the targets, sources first, ties by numeric id', () => {
    const prompt: ApiPrompt = {
      '10': node('Const', { value: 1 }),
      '2': node('Const', { value: 2 }),
      '3': node('Add', { a: ['10', 0], b: ['2', 0] }),
      '4': node('Show', { n: ['3', 0] }),
      '5': node('Const', { value: 5 }), // not an ancestor of 4
      '6': node('Show', { n: ['5', 0] }),
    };
    const plan = planExecution(prompt, ['4']);
    expect(plan.order).toEqual(['2', '10', '3', '4']);
    expect(plan.cycles).toEqual([]);
    expect(planExecution(prompt, ['6', '4']).order).toEqual(['2', '5', '6', '10', '3', '4']);
  });

  it('puts every node after all of its sources in a diamond', () => {
    const prompt: ApiPrompt = {
      '1': node('Add', { a: ['3', 0], b: ['2', 0] }),
      '2': node('Add', { a: ['4', 0], b: ['4', 0] }),
      '3': node('Add', { a: ['4', 0], b: ['2', 0] }),
      '4': node('Const'),
      '5': node('Show', { n: ['1', 0] }),
    };
    expect(planExecution(prompt, ['5']).order).toEqual(['4', '2', '3', '1', '5']);
  });

  it('reports cycles (and self-links) and leaves them and what depends on them out of the order', () => {
    const prompt: ApiPrompt = {
      '1': node('Const'),
      '2': node('Add', { a: ['1', 0], b: ['3', 0] }),
      '3': node('Add', { a: ['2', 0], b: ['1', 0] }),
      '4': node('Show', { n: ['3', 0] }),
      '5': node('Add', { a: ['5', 0], b: ['1', 0] }),
      '6': node('Show', { n: ['5', 0] }),
    };
    const plan = planExecution(prompt, ['4', '6']);
    expect(plan.cycles).toEqual([['2', '3'], ['5']]);
    expect(plan.order).toEqual(['1']);
  });

  it('ignores malformed links and links to missing nodes', () => {
    const prompt: ApiPrompt = { '1': node('Show', { n: ['9', 0], m: [1, 0], k: ['2', -1], j: ['2'] }), '2': node('Const') };
    expect([...ancestors(prompt, ['1'])]).toEqual(['1']);
  });
});

describe('helpers', () => {
  it('asLink accepts only [string, integer ≥ 0]', () => {
    expect(asLink(['1', 0])).toEqual(['1', 0]);
    expect(asLink([1, 0])).toBeUndefined();
    expect(asLink(['1', 0.5])).toBeUndefined();
    expect(asLink(['1', 0, 2])).toBeUndefined();
    expect(asLink('1')).toBeUndefined();
  });
  it('compareIds sorts numeric ids numerically, before other ids', () => {
    expect(['b', '10', '9', 'a', '100', '01'].sort(compareIds)).toEqual(['9', '10', '100', '01', 'a', 'b']);
  });
});
