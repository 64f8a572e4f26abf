'use client';

export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div className="banner error" role="alert">
      <h1>Something went wrong</h1>
      <p>The page could not be loaded{error.digest ? ` (reference ${error.digest})` : ''}. The details were logged on the server.</p>
      <button type="button" className="btn" onClick={reset}>
        Try again
      </button>
    </div>
  );
}
