import { describe, expect, it } from 'vitest';
import { jobsConfig } from './config';
import { collectGarbage, decodedBytes, shouldPrefetch } from './memory';

const unit = (rows: number, cols: number, bytesPer: number) => ({ shape: [rows, cols], bytes: rows * cols * bytesPer });

describe('pipeline memory', () => {
  it('prefetches a 7B MLP matrix but not a 32000x4096 embedding at the default budget', () => {
    const max = jobsConfig({} as NodeJS.ProcessEnv).PREFETCH_MAX_BYTES;
    expect(max).toBe(512e6);
    expect(decodedBytes(unit(11008, 4096, 2), 'BF16')).toBe(11008 * 4096 * 6);
    expect(decodedBytes(unit(11008, 4096, 4), 'F32')).toBe(11008 * 4096 * 4); // decoded in place
    expect(decodedBytes(unit(1024, 1024, 1), 'F8_E4M3')).toBe(1024 * 1024 * 5);
    expect(shouldPrefetch(unit(11008, 4096, 2), 'BF16', max)).toBe(true);
    expect(shouldPrefetch(unit(4096, 4096, 2), 'BF16', max)).toBe(true);
    expect(shouldPrefetch(unit(32000, 4096, 2), 'BF16', max)).toBe(false);
    expect(shouldPrefetch(unit(32000, 4096, 4), 'F32', max)).toBe(false);
    expect(shouldPrefetch(unit(10, 10, 2), 'BF16', 0)).toBe(false);
    expect(() => jobsConfig({ PREFETCH_MAX_BYTES: 'lots' } as unknown as NodeJS.ProcessEnv)).toThrow(/PREFETCH_MAX_BYTES/);
  });

  it('collects garbage on demand (and again) without a --expose-gc flag', () => {
    let big: Uint8Array | null = new Uint8Array(64 * 1024 * 1024).fill(1);
    const before = process.memoryUsage().arrayBuffers;
    expect(before).toBeGreaterThanOrEqual(64 * 1024 * 1024);
    big = null;
    collectGarbage();
    collectGarbage();
    expect(big).toBeNull();
    expect(process.memoryUsage().arrayBuffers).toBeLessThan(before - 32 * 1024 * 1024);
  });
});
