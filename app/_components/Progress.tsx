/** Why a running analysis shows "waiting to resume". */
export const WAITING_TO_RESUME_NOTE =
  'Its worker stopped (crashed, restarted or paused); the analysis resumes at the first missing layer as soon as a worker picks it up';

/**
 * Status badge with a progress bar for running analyses. A running analysis whose worker stopped heart-beating
 * (`waitingToResume`) says so instead of showing a frozen "running"; a queued one with layers already stored shows
 * how far it got.
 */
export function StatusCell({
  status,
  done,
  total,
  error,
  waitingToResume,
}: {
  status: string | null;
  done?: number;
  total?: number | null;
  error?: string | null;
  waitingToResume?: boolean;
}) {
  if (!status) return <span className="badge">not analysed</span>;
  const share = total ? Math.min(1, (done ?? 0) / total) : 0;
  if (status === 'running' && waitingToResume) {
    return (
      <span className="cell-line" title={WAITING_TO_RESUME_NOTE} data-testid="waiting-to-resume">
        <span className="badge stalled">waiting to resume</span>
        <span className="small muted">
          {done ?? 0}/{total ?? '?'} stored
        </span>
      </span>
    );
  }
  return (
    <span className="cell-line" title={error ?? undefined}>
      <span className={`badge ${status}`}>{status}</span>
      {status === 'queued' && (done ?? 0) > 0 && (
        <span className="small muted">
          {done}/{total ?? '?'} stored
        </span>
      )}
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
