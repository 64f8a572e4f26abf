import { useId } from 'react';

/** A keyboard-reachable tooltip: the (i) button is focusable and describes itself with the tooltip text. */
export function Tip({ text, label }: { text: string; label: string }) {
  const id = useId();
  return (
    <span className="tip">
      <button type="button" className="tip-btn" aria-label={`About ${label}`} aria-describedby={id}>
        i
      </button>
      <span role="tooltip" id={id}>
        {text}
      </span>
    </span>
  );
}
