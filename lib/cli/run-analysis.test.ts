/**
 * analyzeCheckpoint's read-ahead: the next analysable tensor is read while the current one is analysed, never more
 * than one ahead, in checkpoint order, and a tensor whose read fails is reported at its own place. Its analysis
 * starts then too: its Gram is on the kernel threads before the current layer is reported (two in flight).
 */
import { describe, expect, it } from 'vitest';
import type { DecodedMatrix, SourceTensor, TensorSource } from '@/lib/checkpoint';
import { analyzeMatrix } from '@/lib/spectral';
import { eigenBackend } from '@/lib/spectral/eigen';
import { wasmAvailable } from '@/lib/spectral/eigen-wasm';
import { gaussianMatrix } from '@/lib/spectral/testing/planted';
import { getPool } from '@/lib/spectral/wasm/pool';
import { analyzeCheckpoint } from './run-analysis';

function tensor(name: string, rows: number, cols: number): SourceTensor {
  return { name, dtype: 'F32', shape: [rows, cols], file: 'model.safetensors', start: 0, end: rows * cols * 4 };
}

/** A source whose reads resolve on a later turn of the event loop and are logged, with how many were in flight. */
function loggingSource(tensors: SourceTensor[], failing: string | null, delayMs = 5) {
  const log: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const source: TensorSource = {
    label: 'fake',
    format: 'safetensors',
    files: [{ path: 'model.safetensors', size: 0 }],
    tensors,
    config: null,
    async read(t): Promise<DecodedMatrix> {
      log.push(`read ${t.name}`);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      inFlight--;
      if (t.name === failing) throw new Error(`${t.name}: connection reset`);
      const [rows, cols] = t.shape;
      return { data: gaussianMatrix(rows, cols, rows + cols + t.name.length), rows, cols, contentHash: '0' };
    },
  };
  return { source, log, maxInFlight: () => maxInFlight };
}

describe('analyzeCheckpoint read-ahead', () => {
  const tensors = [
    tensor('model.layers.0.self_attn.q_proj.weight', 48, 64),
    tensor('model.layers.0.self_attn.k_proj.weight', 48, 64),
    tensor('model.layers.0.mlp.up_proj.weight', 96, 48),
    tensor('model.layers.0.mlp.down_proj.weight', 48, 96),
  ];

  it('reads the next tensor before the current one is done, one ahead at most, in order', async () => {
    const { source, log, maxInFlight } = loggingSource(tensors, null);
    const report = await analyzeCheckpoint(source, {}, (e) => log.push(`done ${e.layer.tensor}`));
    expect(report.errors).toBe(0);
    expect(report.layers.map((l) => l.tensor)).toEqual(tensors.map((t) => t.name));
    const names = tensors.map((t) => t.name);
    expect(log).toEqual([
      `read ${names[0]}`, `read ${names[1]}`, `done ${names[0]}`,
      `read ${names[2]}`, `done ${names[1]}`,
      `read ${names[3]}`, `done ${names[2]}`,
      `done ${names[3]}`,
    ]);
    expect(maxInFlight()).toBeLessThanOrEqual(2);
  });

  it('reports a failed read at its own layer and goes on', async () => {
    const { source } = loggingSource(tensors, tensors[2].name);
    const report = await analyzeCheckpoint(source, {});
    expect(report.errors).toBe(1);
    expect(report.layers[2]).toMatchObject({ status: 'skipped' });
    expect(report.layers[2].skip_reason).toMatch(/^error: model\.layers\.0\.mlp\.up_proj\.weight: connection reset/);
    expect(report.layers.filter((l) => l.status !== 'skipped')).toHaveLength(3);
  });
});

describe.skipIf(!wasmAvailable())('analyzeCheckpoint: two layers in flight', () => {
  it('posts the next layer\'s Gram to the kernel threads before the current layer is reported; same numbers', async () => {
    expect(await eigenBackend()).toBe('wasm');
    const shaped = [
      tensor('model.layers.0.self_attn.q_proj.weight', 320, 400),
      tensor('model.layers.0.self_attn.k_proj.weight', 300, 380),
      tensor('model.layers.0.mlp.up_proj.weight', 420, 260),
      tensor('model.layers.0.mlp.down_proj.weight', 260, 400),
    ];
    const { source } = loggingSource(shaped, null, 0);
    const log: string[] = [];
    const pool = getPool() as unknown as { runOnAll(job: { op: string; rows: number; cols: number }): Promise<unknown> };
    const runOnAll = pool.runOnAll;
    pool.runOnAll = function (job) {
      if (job.op === 'gram') log.push(`gram ${job.rows}x${job.cols}`);
      return runOnAll.call(this, job);
    };
    let report: Awaited<ReturnType<typeof analyzeCheckpoint>>;
    const t0 = performance.now();
    try {
      report = await analyzeCheckpoint(source, {}, (e) => log.push(`done ${e.layer.shape.join('x')}`));
    } finally {
      pool.runOnAll = runOnAll;
    }
    const wall_s = (performance.now() - t0) / 1000;
    // a layer's wait behind the one before it is not counted in its eigen time: the layers' times add up to the wall
    const counted = report.layers.reduce((sum, l) => sum + (l.timings ? l.timings.eigen_s + l.timings.fit_s : 0), 0);
    expect(counted).toBeLessThanOrEqual(wall_s);
    expect(report.errors).toBe(0);
    expect(report.layers.map((l) => l.tensor)).toEqual(shaped.map((t) => t.name));
    for (let i = 0; i + 1 < shaped.length; i++) {
      const next = log.indexOf(`gram ${shaped[i + 1].shape.join('x')}`);
      expect(next, log.join(', ')).toBeGreaterThanOrEqual(0);
      expect(next, log.join(', ')).toBeLessThan(log.indexOf(`done ${shaped[i].shape.join('x')}`));
    }
    // the overlap changes no number: each layer as analysed alone
    for (const [i, t] of shaped.entries()) {
      const [rows, cols] = t.shape;
      const alone = await analyzeMatrix(gaussianMatrix(rows, cols, rows + cols + t.name.length), rows, cols, { subject: t.name });
      const { status, ...metrics } = alone.metrics;
      expect(report.layers[i]).toMatchObject({ status, ...metrics });
    }
  });
});
