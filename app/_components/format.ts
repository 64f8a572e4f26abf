/** Display formatting shared by pages (pure; server and client). */

export function fmt(v: number | null | undefined, digits = 3): string {
  if (v == null || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return v.toFixed(digits);
}

export function pct(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return '—';
  return `${(v * 100).toFixed(v > 0 && v < 0.01 ? 1 : 0)}%`;
}

export function params(n: number | null | undefined): string {
  if (n == null) return '—';
  if (n >= 1e12) return `${(n / 1e12).toFixed(1)}T`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(0)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)}K`;
  return String(n);
}

export function date(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 10) : '—';
}

/** Class for an alpha value: healthy band 2–6. */
export function alphaClass(a: number | null | undefined): string {
  if (a == null || !Number.isFinite(a)) return '';
  return a < 2 ? 'alpha-low' : a > 6 ? 'alpha-high' : 'alpha-good';
}

export function hubUrl(endpoint: string, id: string): string {
  return `${endpoint.replace(/\/+$/, '')}/${id}`;
}

/** A byte count in binary units: 250539409 → "239 MiB". */
export function bytes(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}
