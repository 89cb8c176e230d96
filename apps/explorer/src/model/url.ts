/**
 * The explorer's location: what is open (a walk-through by id, a shipped
 * scenario by name, or a scenario's own text) and which step and view are
 * shown, in the URL's hash, so a link opens the same view.
 */
export type Source = { readonly kind: 'walkthrough'; readonly id: string } | { readonly kind: 'scenario'; readonly name: string } | { readonly kind: 'text'; readonly text: string };

export const VIEWS = ['graph', 'tables', 'walk', 'memory', 'caches', 'scenario'] as const;
export type View = (typeof VIEWS)[number];

export interface Location {
  readonly source: Source;
  readonly step: number;
  readonly view: View;
}

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): string | undefined {
  try {
    const bin = atob(s.replaceAll('-', '+').replaceAll('_', '/'));
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

export function encodeLocation(loc: Location): string {
  const p = new URLSearchParams();
  if (loc.source.kind === 'walkthrough') p.set('w', loc.source.id);
  else if (loc.source.kind === 'scenario') p.set('sc', loc.source.name);
  else p.set('st', toBase64Url(loc.source.text));
  p.set('s', String(loc.step));
  p.set('v', loc.view);
  return `#${p.toString()}`;
}

export const DEFAULT_LOCATION: Location = { source: { kind: 'walkthrough', id: 'video-playback' }, step: 0, view: 'graph' };

export function decodeLocation(hash: string): Location {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const text = p.get('st');
  const decoded = text === null ? undefined : fromBase64Url(text);
  const w = p.get('w');
  const sc = p.get('sc');
  const source: Source = decoded !== undefined ? { kind: 'text', text: decoded } : sc !== null ? { kind: 'scenario', name: sc } : w !== null ? { kind: 'walkthrough', id: w } : DEFAULT_LOCATION.source;
  const step = Number.parseInt(p.get('s') ?? '0', 10);
  const v = p.get('v');
  const view = (VIEWS as readonly string[]).includes(v ?? '') ? (v as View) : DEFAULT_LOCATION.view;
  return { source, step: Number.isSafeInteger(step) && step >= 0 ? step : 0, view };
}
