import Link from 'next/link';

export default function ModelNotFound() {
  return (
    <div className="panel" data-testid="not-found">
      <h1>Model not found</h1>
      <p>This model (or the asked revision) is not on the board. An admin can enqueue it with <code>npm run enqueue -- owner/name</code>.</p>
      <p>
        <Link href="/">Back to the leaderboard</Link>
      </p>
    </div>
  );
}
