'use client';

import { useEffect, useId, useState } from 'react';

/**
 * The Markdown a model's authors can paste into its card: the board's badge (/badge/{owner}/{name}.svg) linking
 * back to the model page, with a copy button. The board's address is the one the page was opened at.
 */
export function BadgeSnippet({ modelId }: { modelId: string }) {
  const [origin, setOrigin] = useState('');
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  const headingId = useId();
  useEffect(() => setOrigin(window.location.origin), []);
  const badge = `${origin}/badge/${modelId}.svg`;
  const snippet = `[![alphaboard mean alpha](${badge})](${origin}/models/${modelId})`;

  async function copy() {
    try {
      await navigator.clipboard.writeText(snippet);
      setCopied('yes');
    } catch {
      setCopied('no');
    }
  }

  return (
    <section className="panel" aria-labelledby={headingId} data-testid="badge-snippet" style={{ marginTop: '1rem' }}>
      <h2 id={headingId}>Badge for the model card</h2>
      <p>
        {/* eslint-disable-next-line @next/next/no-img-element */}
        <img src={`/badge/${modelId}.svg`} alt={`alphaboard badge of ${modelId}`} height={20} />
      </p>
      <p className="small muted">Paste this Markdown into the model card (README.md) on the Hub:</p>
      <pre style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
        <code data-testid="badge-markdown">{snippet}</code>
      </pre>
      <button type="button" className="btn" onClick={copy}>
        Copy Markdown
      </button>{' '}
      <span role="status" className="small muted">
        {copied === 'yes' ? 'Copied.' : copied === 'no' ? 'Copy failed: select the text and copy it.' : ''}
      </span>
    </section>
  );
}
