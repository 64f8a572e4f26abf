/** Status badge with a progress bar for running analyses. */
export function StatusCell({ status, done, total, error }: { status: string | null; done?: number; total?: number | null; error?: string | null }) {
  if (!status) return <span className="badge">not analysed</span>;
  const share = total ? Math.min(1, (done ?? 0) / total) : 0;
  return (
    <span style={{ display: 'inline-flex', gap: '0.4rem', alignItems: 'center' }} title={error ?? undefined}>
      <span className={`badge ${status}`}>{status}</span>
      {status === 'running' && (
        <>
          <span className="progress" role="progressbar" aria-label="analysis progress" aria-valuemin={0} aria-valuemax={total ?? 0} aria-valuenow={done ?? 0} data-testid="progress">
            <span style={{ width: `${(share * 100).toFixed(1)}%` }} />
          </span>
          <span className="small muted">
            {done ?? 0}/{total ?? '?'}
          </span>
        </>
      )}
    </span>
  );
}
