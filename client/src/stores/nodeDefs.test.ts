import { describe, expect, it } from 'vitest';
import { categoryTree } from './nodeDefs.ts';
import { NodeSearch, searchNodes, setSearchDefs, subsequenceScore, typeMatches } from '../graph/nodeSearch.ts';
import type { NodeDef } from '../api/types.ts';
import { DEFS } from '../test/defs.ts';

/** The studio's real node names, types and categories (server/nodes), enough to search. */
function def(name: string, display_name: string, category: string, inputs: string[], output: string[]): NodeDef {
  const required = Object.fromEntries(inputs.map((t, i) => [`in${i}`, [t, {}]])) as NodeDef['input']['required'];
  return { name, display_name, category, description: '', input: { required }, output, output_name: output, output_node: output.length === 0 };
}
const STUDIO: NodeDef[] = [
  def('CombineShifts', 'Combine Shifts', 'spectral', ['SHIFTS', 'SHIFTS'], ['SHIFTS']),
  def('DDIMInvert', 'DDIM Invert', 'sampling', ['MODEL', 'IMAGE', 'STRING'], ['LATENT']),
  def('ImageBatch', 'Image Batch', 'image', ['IMAGE', 'IMAGE'], ['IMAGE']),
  def('ImageCrop', 'Crop Image', 'image/transform', ['IMAGE', 'INT'], ['IMAGE']),
  def('ImageGrid', 'Image Grid', 'image', ['IMAGE', 'INT'], ['IMAGE']),
  def('ImageScale', 'Scale Image', 'image/transform', ['IMAGE', 'INT'], ['IMAGE']),
  def('LoadImage', 'Load Image', 'image', [], ['IMAGE']),
  def('LoadImages', 'Load Images (folder)', 'image', [], ['IMAGE', 'INT']),
  def('LoadModel', 'Load Model', 'loaders', [], ['MODEL']),
  def('LoadShifts', 'Load Shifts', 'spectral', ['MODEL'], ['SHIFTS']),
  def('PreviewImage', 'Preview Image', 'image', ['IMAGE'], []),
  def('RandomNoise', 'Random Noise', 'latent', ['MODEL', 'INT'], ['LATENT']),
  def('Sample', 'Sample', 'sampling', ['MODEL', 'STRING', 'LATENT', 'SHIFTS'], ['IMAGE']),
  def('SaveImageWebsocket', 'Save Image (WebSocket)', 'image', ['IMAGE'], []),
  def('SaveImage', 'Save Image', 'image', ['IMAGE', 'STRING'], []),
  def('SaveShifts', 'Save Shifts', 'spectral', ['SHIFTS', 'STRING'], []),
  def('SlerpNoise', 'Slerp Noise', 'latent', ['LATENT', 'INT'], ['LATENT']),
  def('SpectralShiftTrain', 'Spectral Shift Train', 'training', ['MODEL', 'SVD', 'IMAGE'], ['SHIFTS']),
  def('SVDDecompose', 'SVD Decompose', 'spectral', ['MODEL'], ['SVD']),
  def('VAEDecode', 'VAE Decode', 'latent', ['MODEL', 'LATENT'], ['IMAGE']),
  def('VAEEncode', 'VAE Encode', 'latent', ['MODEL', 'IMAGE'], ['LATENT']),
];
const names = (defs: NodeDef[]) => defs.map((d) => d.name);

describe('node library', () => {
  it('groups definitions by category path, sorted by name', () => {
    const tree = categoryTree(Object.values(DEFS));
    expect(tree.children.map((c) => c.name)).toEqual(['image', 'latent']);
    expect(tree.children[0].defs.map((d) => d.name)).toEqual(['Blend', 'LoadImage', 'SaveImage']);
  });
});

describe('fuzzy node search', () => {
  const search = new NodeSearch(STUDIO);

  it('finds nodes by abbreviation and by partial words, best first', () => {
    expect(names(search.search('sdc'))[0]).toBe('SVDDecompose');
    expect(names(search.search('load img'))[0]).toBe('LoadImage');
    expect(names(search.search('load img')).slice(0, 2).sort()).toEqual(['LoadImage', 'LoadImages']);
    expect(names(search.search('img grid'))[0]).toBe('ImageGrid');
    expect(names(search.search('siw'))[0]).toBe('SaveImageWebsocket');
    expect(names(search.search('sst'))[0]).toBe('SpectralShiftTrain');
  });

  it('puts names that start with the query first and tolerates typos', () => {
    expect(names(search.search('sa'))[0]).toBe('Sample');
    expect(names(search.search('save')).slice(0, 3).sort()).toEqual(['SaveImage', 'SaveImageWebsocket', 'SaveShifts']);
    expect(names(search.search('vae')).slice(0, 2).sort()).toEqual(['VAEDecode', 'VAEEncode']);
    expect(names(search.search('sampel'))[0]).toBe('Sample');
    expect(names(search.search('decompse'))[0]).toBe('SVDDecompose');
    expect(search.search('zzzqqq')).toEqual([]);
  });

  it('matches class names and categories too', () => {
    expect(names(search.search('ImageCrop'))[0]).toBe('ImageCrop');
    expect(names(search.search('spectral'))).toEqual(expect.arrayContaining(['CombineShifts', 'SaveShifts', 'SVDDecompose']));
  });

  it('filters by the type a dragged link carries, and limits', () => {
    // A link dragged out of an SVD output: nodes that take an SVD input.
    expect(names(search.search('', { inputType: 'SVD' }))).toEqual(['SpectralShiftTrain']);
    // A link dragged out of a LATENT input: nodes that give a LATENT.
    expect(names(search.search('', { outputType: 'LATENT' })).sort()).toEqual(['DDIMInvert', 'RandomNoise', 'SlerpNoise', 'VAEEncode']);
    expect(names(search.search('noise', { outputType: 'LATENT' })).sort()).toEqual(['RandomNoise', 'SlerpNoise']);
    expect(names(search.search('image', { inputType: 'IMAGE', limit: 2 }))).toHaveLength(2);
    expect(search.search('image', { inputType: 'IMAGE' }).every((d) => Object.values(d.input.required ?? {}).some((s) => s[0] === 'IMAGE'))).toBe(true);
  });

  it('scores subsequences and socket types', () => {
    expect(subsequenceScore('sdc', 'svd decompose')).toBeDefined();
    expect(subsequenceScore('sdc', 'scale image')).toBeUndefined();
    expect(subsequenceScore('lo', 'load')!).toBeLessThan(subsequenceScore('lo', 'slow')!);
    expect(typeMatches('IMAGE,MASK', 'MASK')).toBe(true);
    expect(typeMatches('*', 'MODEL')).toBe(true);
    expect(typeMatches('IMAGE', 'LATENT')).toBe(false);
  });

  it('searchNodes() searches the definitions the store loaded', () => {
    setSearchDefs(STUDIO);
    expect(names(searchNodes('sdc', { limit: 1 }))).toEqual(['SVDDecompose']);
    setSearchDefs(DEFS);
    expect(names(searchNodes('load img'))[0]).toBe('LoadImage');
  });
});
