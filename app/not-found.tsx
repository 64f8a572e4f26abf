import Link from 'next/link';

export default function NotFound() {
  return (
    <div className="panel" data-testid="not-found">
      <h1>Not found</h1>
      <p>There is no such page or model on the board. Models appear once they are on the watchlist or enqueued.</p>
      <p>
        <Link href="/">Back to the leaderboard</Link>
      </p>
    </div>
  );
}
