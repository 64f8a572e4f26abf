import type { Metadata } from 'next';
import Link from 'next/link';
import { CORRELATION_METRICS, getBenchmarkCorrelation, listBenchmarks, type CorrelationMetric } from '@/db/queries/benchmarks';
import { CorrelationChart } from '@/app/_components/charts/CorrelationChart';
import { fmt } from '@/app/_components/format';
import { METRIC_INFO } from '@/app/_components/metric-info';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Benchmarks vs alpha' };

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) || undefined;

export default async function CorrelationsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const benchmarks = await listBenchmarks();
  const benchmark = benchmarks.find((b) => b.benchmark === one(sp.benchmark))?.benchmark ?? benchmarks[0]?.benchmark;
  const metric = (CORRELATION_METRICS as readonly string[]).includes(one(sp.metric) ?? '') ? (one(sp.metric) as CorrelationMetric) : 'alpha';
  const corr = benchmark ? await getBenchmarkCorrelation({ benchmark, metric }) : null;

  return (
    <>
      <h1>Benchmarks beside alpha</h1>
      <p className="muted">
        External evaluation scores, imported with <code>npm run import:benchmarks -- scores.csv</code>, against a spectral summary metric.
        The rank correlation is Spearman’s ρ (ties get average ranks).
      </p>
      {benchmarks.length === 0 ? (
        <div className="banner info" data-testid="no-benchmarks">
          No benchmark scores imported yet. A CSV of <code>model,benchmark,score</code> rows (or one column per benchmark) or a JSON object
          of model → benchmark → score is accepted.
        </div>
      ) : (
        <form method="get" action="/correlations" className="filters panel" aria-label="Pick a benchmark and a metric">
          <label>
            Benchmark
            <select name="benchmark" defaultValue={benchmark} data-testid="pick-benchmark">
              {benchmarks.map((b) => (
                <option key={b.benchmark} value={b.benchmark}>
                  {b.benchmark} ({b.models} models)
                </option>
              ))}
            </select>
          </label>
          <label>
            Metric
            <select name="metric" defaultValue={metric} data-testid="pick-metric">
              {CORRELATION_METRICS.map((m) => (
                <option key={m} value={m}>
                  {METRIC_INFO[m]?.label ?? m}
                </option>
              ))}
            </select>
          </label>
          <button className="btn" type="submit">
            Show
          </button>
        </form>
      )}
      {corr && (
        <>
          <p data-testid="spearman">
            Spearman ρ({metric}, {benchmark}) = <strong>{corr.spearman == null ? 'undefined (fewer than 3 models or constant values)' : corr.spearman.toFixed(3)}</strong> over{' '}
            {corr.points.length} models with both a score and a finished analysis.
          </p>
          {corr.points.length > 0 && <CorrelationChart points={corr.points} metric={metric} benchmark={benchmark!} rho={corr.spearman} />}
          <div className="table-wrap" style={{ marginTop: '1rem' }}>
            <table>
              <thead>
                <tr><th>model</th><th className="num">{metric}</th><th className="num">{benchmark}</th></tr>
              </thead>
              <tbody>
                {corr.points.map((p) => (
                  <tr key={p.id}>
                    <td><Link href={`/models/${p.id}`} prefetch={false}>{p.id}</Link></td>
                    <td className="num">{fmt(p.metric)}</td>
                    <td className="num">{fmt(p.score, 2)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </>
  );
}
