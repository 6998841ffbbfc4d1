import { describe, expect, it } from 'vitest';
import { categoryTree, searchDefs } from './nodeDefs.ts';
import { DEFS } from '../test/defs.ts';

describe('node library', () => {
  it('groups definitions by category path, sorted by name', () => {
    const tree = categoryTree(Object.values(DEFS));
    expect(tree.children.map((c) => c.name)).toEqual(['image', 'latent']);
    expect(tree.children[0].defs.map((d) => d.name)).toEqual(['Blend', 'LoadImage', 'SaveImage']);
  });
  it('searches names and categories with every word', () => {
    expect(searchDefs(Object.values(DEFS), 'image load').map((d) => d.name)).toEqual(['LoadImage']);
    expect(searchDefs(Object.values(DEFS), 'latent').map((d) => d.name)).toEqual(['Noise']);
  });
});
