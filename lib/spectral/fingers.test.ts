/**
 * fix_fingers='clip_xmax' and xmax=−1 against WeightWatcher (reference runs `analyze(fix_fingers='clip_xmax')` and
 * `analyze(xmax=-1)`) on every analysed tensor: continuous columns to 1e-9 relative (achieved ~1e-13: same WWFit
 * arithmetic), counts, num_fingers, status and warning exact. Plus the failure of tiny layers.
 */
import { describe, expect, it } from 'vitest';
import { fitClipXmax } from './fingers';
import { fitPowerLaw } from './powerlaw';
import { decodeNumber, relErr } from './testing/conformance-cases';
import { caseEvals, optionCases } from './testing/option-spectra';

const cases = optionCases((c) => 'fix_fingers_clip_xmax' in c.options);

function compare(got: Record<string, unknown>, want: Record<string, unknown>, rel: string[], exact: string[]): string[] {
  const problems: string[] = [];
  for (const col of rel) {
    const w = decodeNumber(want[col]);
    if (w === null) {
      if (got[col] !== null) problems.push(`${col}: got ${String(got[col])}, want null`);
      continue;
    }
    const e = relErr(got[col] as number, w as number);
    if (!(e <= 1e-9)) problems.push(`${col}: got ${String(got[col])}, want ${String(w)} (rel ${e.toExponential(2)})`);
  }
  for (const col of exact) if (got[col] !== want[col]) problems.push(`${col}: got ${String(got[col])}, want ${String(want[col])}`);
  return problems;
}

describe("fix_fingers='clip_xmax' against WeightWatcher", () => {
  it.each(cases.map((c) => [c.key, c] as const))('%s', async (_k, c) => {
    const got = fitClipXmax(await caseEvals(c));
    const problems = compare(
      got as unknown as Record<string, unknown>,
      c.options.fix_fingers_clip_xmax,
      ['alpha', 'xmin', 'xmax', 'D', 'sigma', 'raw_alpha'],
      ['num_fingers', 'num_pl_spikes', 'status', 'warning'],
    );
    expect(problems).toEqual([]);
  });

  it('the reference set exercises both outcomes (fingers clipped and raw fit kept)', () => {
    const fingers = cases.map((c) => c.options.fix_fingers_clip_xmax.num_fingers as number);
    expect(fingers.some((f) => f === 0)).toBe(true);
    expect(fingers.some((f) => f >= 2)).toBe(true);
    for (const c of cases) {
      const o = c.options.fix_fingers_clip_xmax;
      if ((o.num_fingers as number) > 0) expect((o.alpha as number) + 1).toBeLessThan(o.raw_alpha as number);
    }
  });
});

describe('xmax = −1 against WeightWatcher', () => {
  it.each(cases.map((c) => [c.key, c] as const))('%s', async (_k, c) => {
    const got = fitPowerLaw(await caseEvals(c), { xmax: -1 });
    const problems = compare(
      got as unknown as Record<string, unknown>,
      c.options.xmax_minus1,
      ['alpha', 'xmin', 'xmax', 'D', 'sigma'],
      ['num_pl_spikes', 'status', 'warning'],
    );
    expect(problems).toEqual([]);
  });
});

/** Pareto(a) quantiles: a clean power-law spectrum whose α barely moves when the top values are clipped. */
function paretoQuantiles(n: number, a: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => Math.pow(1 - (i + 0.5) / n, -1 / (a - 1)));
}

describe('clip_xmax behaviour', () => {
  it('a clean power law keeps its raw fit (no finger) and reports raw_alpha = alpha', () => {
    const r = fitClipXmax(paretoQuantiles(400, 3));
    expect(r.status).toBe('success');
    expect(r.num_fingers).toBe(0);
    expect(r.alpha).toBe(r.raw_alpha);
  });

  it('a tiny layer whose clipped fits run out of values fails as a whole (α = −1), as in WeightWatcher', () => {
    const r = fitClipXmax(paretoQuantiles(10, 3));
    expect(r).toMatchObject({ status: 'failed', alpha: -1, xmin: -1, D: -1, xmax: null, num_fingers: 0, raw_alpha: -1 });
    expect(r.warning).toBe('over-trained');
  });
});
