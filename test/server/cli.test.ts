// `svdiff-studio run`: API and UI workflows through the real CLI, outputs copied to --out,
// non-zero exits naming the node on node errors and validation errors.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { chain, fixtureNodes, repoRoot, tempDir } from './helpers.ts';

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin/svdiff-studio.js'), 'run', ...args, '--nodes-dir', fixtureNodes], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function writeJson(dir: string, name: string, value: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(value));
  return p;
}

describe('svdiff-studio run', () => {
  it('runs an API-format prompt and copies the output image to --out', async () => {
    const dir = tempDir();
    const r = await runCli([writeJson(dir, 'api.json', chain(120, { class_type: 'TestSlow', inputs: { seconds: 0.2 } }, 'cli')), '--data-dir', join(dir, 'data'), '--out', join(dir, 'out')]);
    expect(r.code, r.stderr).toBe(0);
    const files = readdirSync(join(dir, 'out'));
    expect(files).toHaveLength(1);
    expect(PNG.sync.read(readFileSync(join(dir, 'out', files[0]))).data[0]).toBe(120);
    expect(r.stdout.trim()).toBe(join(dir, 'out', files[0]));
    // Not a terminal: progress comes as plain lines.
    expect(r.stderr).toContain('#2 TestSlow');
  });

  it('runs a UI-format workflow', async () => {
    const dir = tempDir();
    const workflow = {
      last_node_id: 3,
      last_link_id: 1,
      nodes: [
        { id: 1, type: 'TestConstant', mode: 0, inputs: [], outputs: [{ name: 'NUMBER', type: 'NUMBER', links: [1] }], widgets_values: [33] },
        { id: 3, type: 'TestSavePng', mode: 0, inputs: [{ name: 'value', type: 'NUMBER', link: 1 }], outputs: [], widgets_values: ['ui'] },
      ],
      links: [[1, 1, 0, 3, 0, 'NUMBER']],
      groups: [],
      config: {},
      extra: {},
      version: 0.4,
    };
    const r = await runCli([writeJson(dir, 'ui.json', workflow), '--data-dir', join(dir, 'data'), '--out', join(dir, 'out')]);
    expect(r.code, r.stderr).toBe(0);
    const files = readdirSync(join(dir, 'out'));
    expect(files).toHaveLength(1);
    expect(files[0].startsWith('ui_')).toBe(true);
    expect(PNG.sync.read(readFileSync(join(dir, 'out', files[0]))).data[0]).toBe(33);
  });

  it('exits non-zero with the node and its message when a node fails', async () => {
    const dir = tempDir();
    const r = await runCli([writeJson(dir, 'fail.json', chain(1, { class_type: 'TestFail', inputs: { message: 'cli boom' } })), '--data-dir', join(dir, 'data')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: node #2 \(TestFail\):.*cli boom/);
  });

  it('exits non-zero printing each validation error with node and input', async () => {
    const dir = tempDir();
    const bad = chain(1);
    bad['1'].inputs.value = 'many';
    delete bad['3'].inputs.filename_prefix;
    const r = await runCli([writeJson(dir, 'bad.json', bad), '--data-dir', join(dir, 'data')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Node #1 (TestConstant): input "value"');
    expect(r.stderr).toContain('Node #3 (TestSavePng): input "filename_prefix"');
  });

  it('exits non-zero on a file that is not JSON', async () => {
    const dir = tempDir();
    const p = join(dir, 'x.json');
    writeFileSync(p, 'not json');
    const r = await runCli([p, '--data-dir', join(dir, 'data')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot read workflow');
  });
});
