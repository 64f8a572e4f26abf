import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHeaderBytes, parseHeaderLength } from '@/lib/safetensors/header';
import { decodeTensor } from '@/lib/safetensors';
import { openHubCheckpoint } from '@/lib/checkpoint/hub';
import { commitFiles, writeStandInRepo } from './repo-store';
import { startStandInHub, type StandInHub } from './server';
import { syntheticFile, syntheticSpecText, type SyntheticSafetensorsSpec } from './synthetic';

const SPEC: SyntheticSafetensorsSpec = {
  kind: 'safetensors',
  metadata: { format: 'pt' },
  tensors: [
    { name: 'model.layers.0.self_attn.q_proj.weight', dtype: 'BF16', shape: [96, 96], seed: 7 },
    { name: 'model.layers.0.input_layernorm.weight', dtype: 'BF16', shape: [95] },
    { name: 'model.layers.0.mlp.up_proj.weight', dtype: 'BF16', shape: [131, 96] },
    { name: 'model.layers.0.mlp.down_proj.weight', dtype: 'F32', shape: [96, 131], std: 0.05 },
  ],
};

function seeded(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 2 ** 32) * n);
  };
}

describe('synthetic safetensors files', () => {
  const file = syntheticFile(SPEC);
  const whole = file.read(0, file.size);

  it('has a valid header with contiguous offsets and the size they imply', () => {
    const n = parseHeaderLength(whole.subarray(0, 8), file.size);
    const header = parseHeaderBytes(whole.subarray(8, 8 + n), file.size);
    expect(header.tensors.map((t) => t.name)).toEqual(SPEC.tensors.map((t) => t.name));
    expect(header.metadata).toEqual({ format: 'pt' });
    const bytes = 2 * (96 * 96 + 95 + 131 * 96) + 4 * 96 * 131;
    expect(file.size).toBe(8 + n + bytes);
    expect((8 + n) % 8).toBe(0);
    expect(whole.length).toBe(file.size);
  });

  it('returns the same bytes for any range, however the file is split', () => {
    const rand = seeded(42);
    for (let k = 0; k < 300; k++) {
      const start = rand(file.size);
      const length = rand(Math.min(5000, file.size - start) + 1);
      expect(Buffer.from(file.read(start, length)).equals(Buffer.from(whole.subarray(start, start + length)))).toBe(true);
    }
    // past the end: clamped
    expect(file.read(file.size - 3, 100).length).toBe(3);
    // a fresh instance from the spec text (as the stand-in reads it from disk) generates the same bytes
    const again = syntheticFile(syntheticSpecText(SPEC));
    expect(again.sha256).toBe(file.sha256);
    expect(Buffer.from(again.read(0, again.size)).equals(Buffer.from(whole))).toBe(true);
    // a different seed, different bytes
    const other = syntheticFile({ ...SPEC, tensors: SPEC.tensors.map((t) => ({ ...t, seed: 99 })) });
    expect(other.sha256).not.toBe(file.sha256);
    expect(Buffer.from(other.read(0, other.size)).equals(Buffer.from(whole))).toBe(false);
  });

  it('generates N(0, std²) values; a square matrix gets a full-rank signed permutation on top', () => {
    const n = parseHeaderLength(whole.subarray(0, 8), file.size);
    const header = parseHeaderBytes(whole.subarray(8, 8 + n), file.size);
    const decode = (i: number) => {
      const t = header.tensors[i];
      return Array.from(decodeTensor(whole.slice(t.start, t.end), t));
    };
    const up = decode(2);
    const mean = up.reduce((a: number, b: number) => a + b, 0) / up.length;
    const std = Math.sqrt(up.reduce((a: number, b: number) => a + (b - mean) ** 2, 0) / up.length);
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(std).toBeGreaterThan(0.018);
    expect(std).toBeLessThan(0.022);
    const down = decode(3);
    const stdDown = Math.sqrt(down.reduce((a: number, b: number) => a + b * b, 0) / down.length);
    expect(stdDown).toBeGreaterThan(0.045);
    expect(stdDown).toBeLessThan(0.055);
    // q_proj: exactly one entry per row and per column of size ~2.2·0.02·√96 ≈ 0.43, a permutation
    const q = decode(0);
    const cols = new Set<number>();
    for (let i = 0; i < 96; i++) {
      const big = q.slice(i * 96, (i + 1) * 96).map((v, j) => [Math.abs(v), j]).filter(([v]) => v > 0.3);
      expect(big.length).toBe(1);
      cols.add(big[0][1]);
    }
    expect(cols.size).toBe(96);
  });
});

describe('synthetic files through the stand-in Hub', () => {
  let root: string;
  let hub: StandInHub;
  const file = syntheticFile(SPEC);
  const whole = Buffer.from(file.read(0, file.size));

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'alphaboard-synthetic-'));
    await writeStandInRepo(root, { id: 'bench/synthetic' });
    await commitFiles(root, 'bench/synthetic', {
      files: { 'config.json': JSON.stringify({ model_type: 'llama' }), [`model.safetensors.synthetic.json`]: syntheticSpecText(SPEC) },
      date: '2025-01-01T00:00:00.000Z',
    });
    hub = await startStandInHub({ root });
  });
  afterAll(async () => {
    await hub?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('lists the virtual file under its own name with its size and LFS oid, and counts its parameters', async () => {
    const tree = (await (await fetch(`${hub.url}/api/models/bench/synthetic/tree/main`)).json()) as Array<{ path: string; size: number; lfs?: { oid: string } }>;
    const entry = tree.find((e) => e.path === 'model.safetensors');
    expect(entry).toMatchObject({ size: file.size, lfs: { oid: file.sha256 } });
    expect(tree.some((e) => e.path.endsWith('.synthetic.json'))).toBe(false);
    const info = (await (await fetch(`${hub.url}/api/models/bench/synthetic?expand=safetensors`)).json()) as { safetensors: { parameters: Record<string, number> } };
    expect(info.safetensors.parameters).toEqual({ BF16: 96 * 96 + 95 + 131 * 96, F32: 96 * 131 });
  });

  it('answers range requests with slices of the generated file', async () => {
    const rand = seeded(7);
    for (let k = 0; k < 20; k++) {
      const start = rand(file.size);
      const end = Math.min(file.size - 1, start + rand(20_000));
      const res = await fetch(`${hub.url}/bench/synthetic/resolve/main/model.safetensors`, { headers: { Range: `bytes=${start}-${end}` } });
      expect(res.status).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${file.size}`);
      expect(Buffer.from(await res.arrayBuffer()).equals(whole.subarray(start, end + 1))).toBe(true);
    }
    const full = await fetch(`${hub.url}/bench/synthetic/resolve/main/model.safetensors`);
    expect(Buffer.from(await full.arrayBuffer()).equals(whole)).toBe(true);
  });

  it('reads and decodes its tensors through the checkpoint reader the jobs use', async () => {
    const sha = ((await (await fetch(`${hub.url}/api/models/bench/synthetic?expand=sha`)).json()) as { sha: string }).sha;
    const { source } = await openHubCheckpoint({ repo: 'bench/synthetic', sha, hubUrl: hub.url });
    expect(source.tensors.map((t) => t.name)).toEqual(SPEC.tensors.map((t) => t.name));
    const n = parseHeaderLength(whole.subarray(0, 8), file.size);
    const header = parseHeaderBytes(whole.subarray(8, 8 + n), file.size);
    for (const [i, t] of source.tensors.entries()) {
      const read = await source.read(t);
      const h = header.tensors[i];
      expect(Array.from(read.data)).toEqual(Array.from(decodeTensor(new Uint8Array(whole.subarray(h.start, h.end)), h)));
    }
  });
});
