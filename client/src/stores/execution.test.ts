import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { ApiClient } from '../api/client.ts';
import { setApi } from '../api/instance.ts';
import { getLive, resetLive } from '../graph/live.ts';
import { useExecutionStore } from './execution.ts';
import { FakeSocket, memoryStorage } from '../test/fakes.ts';
import { encodePreviewFrame } from '../api/previewFrame.ts';

let ws: FakeSocket;

beforeEach(() => {
  setActivePinia(createPinia());
  resetLive();
  FakeSocket.instances = [];
  const api = new ApiClient({ baseUrl: 'http://s', fetch: (() => Promise.reject(new Error('no http'))) as never, WebSocket: FakeSocket as never, storage: memoryStorage() });
  setApi(api);
  useExecutionStore().bind();
  api.connect();
  ws = FakeSocket.last();
  ws.open();
});

describe('execution store', () => {
  it('follows a prompt: running node, per-node and overall progress, loss, outputs, gallery', () => {
    const exec = useExecutionStore();
    expect(exec.connected).toBe(true);
    exec.notePrompt('p1', 4);
    ws.message('execution_start', { prompt_id: 'p1' });
    ws.message('execution_cached', { prompt_id: 'p1', nodes: ['1'] });
    ws.message('executing', { prompt_id: 'p1', node: '2' });
    expect(exec.runningNode).toBe('2');
    expect(getLive('2')?.running).toBe(true);
    ws.message('progress', { prompt_id: 'p1', node: '2', value: 5, max: 10, loss: 0.9 });
    ws.message('progress', { prompt_id: 'p1', node: '2', value: 10, max: 10, loss: 0.4 });
    expect(getLive('2')?.progress).toBe(1);
    expect(getLive('2')?.loss).toEqual([0.9, 0.4]);
    expect(exec.lastLoss).toBe(0.4);
    expect(exec.overall).toBeCloseTo(2 / 4);
    ws.message('executing', { prompt_id: 'p1', node: '3' });
    expect(getLive('2')?.running).toBe(false);
    expect(exec.overall).toBeCloseTo(2 / 4);
    ws.message('executed', { prompt_id: 'p1', node: '3', output: { images: [{ filename: 'o_00001.png', subfolder: '', type: 'output' }] } });
    expect(getLive('3')?.images).toEqual(['http://s/api/view?filename=o_00001.png&type=output&subfolder=']);
    expect(exec.gallery.map((g) => g.ref.filename)).toEqual(['o_00001.png']);
    expect(exec.overall).toBeCloseTo(3 / 4);
    ws.message('execution_success', { prompt_id: 'p1' });
    expect(exec.promptId).toBeNull();
    expect(exec.runningNode).toBeNull();
  });

  it('puts a runtime error on the failed node', () => {
    const exec = useExecutionStore();
    ws.message('execution_start', { prompt_id: 'p2' });
    ws.message('executing', { prompt_id: 'p2', node: '7' });
    ws.message('execution_error', { prompt_id: 'p2', node_id: '7', node_type: 'ImageCrop', exception_message: 'Node #7 (ImageCrop): input "x": out of range', exception_type: 'InputError', input_name: 'x' });
    expect(getLive('7')?.error).toBe('Node #7 (ImageCrop): input "x": out of range');
    expect([...(getLive('7')?.inputErrors?.keys() ?? [])]).toEqual(['x']);
    expect(getLive('7')?.running).toBeFalsy();
    expect(exec.lastError).toEqual({ nodeId: '7', nodeType: 'ImageCrop', message: 'Node #7 (ImageCrop): input "x": out of range' });
    // The server closes the prompt with `executing` null after its outcome: the error stays.
    ws.message('executing', { prompt_id: 'p2', node: null });
    expect(getLive('7')?.error).toBe('Node #7 (ImageCrop): input "x": out of range');
    expect(exec.promptId).toBeNull();
    // The next run clears it.
    ws.message('execution_start', { prompt_id: 'p3' });
    expect(getLive('7')?.error).toBeUndefined();
  });

  it('marks the inputs named by validation errors', () => {
    const exec = useExecutionStore();
    exec.showValidationErrors({
      '4': { class_type: 'ImageScale', dependent_outputs: ['5'], errors: [{ type: 'value_bigger_than_max', message: 'Value bigger than max', details: 'width: 99999 > 8192', extra_info: { input_name: 'width' } }] },
    });
    const errs = getLive('4')?.inputErrors;
    expect(errs?.get('width')).toBe('Value bigger than max: width: 99999 > 8192');
    expect(errs?.get('')).toContain('Value bigger than max');
    exec.clearErrors();
    expect(getLive('4')?.inputErrors).toBeUndefined();
  });

  it('shows preview frames on the running node', () => {
    URL.createObjectURL ??= () => 'blob:x';
    URL.revokeObjectURL ??= () => {};
    ws.message('executing', { prompt_id: 'p4', node: '9' });
    ws.binary(encodePreviewFrame(new Uint8Array([1, 2, 3])));
    expect(getLive('9')?.images?.[0]).toMatch(/^blob:/);
  });

  it('fills the gallery from past runs, newest first, outputs only', () => {
    const exec = useExecutionStore();
    const img = (filename: string, type: 'output' | 'temp') => ({ filename, subfolder: '', type });
    exec.galleryFromHistory({
      a: { prompt: [1, 'a', {}], outputs: { '3': { images: [img('old.png', 'output')] } } },
      b: { prompt: [2, 'b', {}], outputs: { '3': { images: [img('new.png', 'output'), img('preview.png', 'temp')] } } },
    });
    expect(exec.gallery.map((g) => g.ref.filename)).toEqual(['new.png', 'old.png']);
  });
});
