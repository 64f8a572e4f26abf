'use client';

import { useEffect, useId, useRef, useState } from 'react';

/**
 * Type-ahead model picker (ARIA combobox): typing queries /api/v1/search; ↑/↓ move, Enter picks, Escape closes.
 * The value travels in a plain input named `name`, so the surrounding GET form works without this script too.
 */
export function ModelPicker({ name, label, defaultValue, testId }: { name: string; label: string; defaultValue?: string; testId: string }) {
  const id = useId();
  const [value, setValue] = useState(defaultValue ?? '');
  const [hits, setHits] = useState<{ id: string; family: string | null }[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const typed = useRef(false);

  useEffect(() => {
    if (!typed.current || value.trim().length < 1) {
      setHits([]);
      return;
    }
    const ctrl = new AbortController();
    const t = setTimeout(() => {
      fetch(`/api/v1/search?q=${encodeURIComponent(value.trim())}&limit=8`, { signal: ctrl.signal })
        .then((r) => (r.ok ? r.json() : { models: [] }))
        .then((b) => {
          setHits(b.models ?? []);
          setOpen(true);
          setActive(-1);
        })
        .catch(() => {});
    }, 120);
    return () => {
      clearTimeout(t);
      ctrl.abort();
    };
  }, [value]);

  const pick = (v: string) => {
    typed.current = false;
    setValue(v);
    setOpen(false);
  };

  return (
    <div className="picker">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name={name}
        type="text"
        role="combobox"
        autoComplete="off"
        aria-autocomplete="list"
        aria-expanded={open && hits.length > 0}
        aria-controls={`${id}-list`}
        aria-activedescendant={active >= 0 ? `${id}-opt-${active}` : undefined}
        placeholder="owner/name"
        value={value}
        data-testid={testId}
        onChange={(e) => {
          typed.current = true;
          setValue(e.target.value);
        }}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (!open || hits.length === 0) return;
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setActive((a) => Math.min(hits.length - 1, a + 1));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setActive((a) => Math.max(0, a - 1));
          } else if (e.key === 'Enter' && active >= 0) {
            e.preventDefault();
            pick(hits[active].id);
          } else if (e.key === 'Escape') {
            setOpen(false);
          }
        }}
      />
      {open && hits.length > 0 && (
        <ul id={`${id}-list`} role="listbox" aria-label={`${label} suggestions`} data-testid={`${testId}-options`}>
          {hits.map((h, i) => (
            <li
              key={h.id}
              id={`${id}-opt-${i}`}
              role="option"
              aria-selected={i === active}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(h.id);
              }}
            >
              {h.id} {h.family && <span className="muted small">{h.family}</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
