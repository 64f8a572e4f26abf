'use client';

export default function ModelError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div className="banner error" role="alert">
      <h1>This model page could not be loaded</h1>
      <p>{error.digest ? `Reference ${error.digest}. ` : ''}The details were logged on the server.</p>
      <button type="button" className="btn" onClick={reset}>
        Try again
      </button>
    </div>
  );
}
