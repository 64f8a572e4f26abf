import { getHubStatus } from '@/jobs/hub-status';

/** Says plainly when the Hub could not be reached: results shown are stored ones; the offline demo is one command. */
export function HubBanner() {
  const status = getHubStatus();
  if (status.reachable !== false) return null;
  return (
    <div className="banner warn" role="status" data-testid="hub-banner">
      <strong>The Hugging Face Hub is unreachable</strong> ({status.endpoint}). Showing stored results; new analyses wait until it
      answers. For an offline demo with synthetic checkpoints run <code>npm run demo</code>.
    </div>
  );
}
