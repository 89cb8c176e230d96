/** Parsing an address typed by a user: hex (0x…, with `_` separators as the CLI prints them) or decimal. */
export function parseAddress(text: string): number | undefined {
  const t = text.trim().replaceAll('_', '');
  if (/^0x[0-9a-f]+$/i.test(t)) return Number.parseInt(t.slice(2), 16);
  if (/^[0-9]+$/.test(t)) return Number.parseInt(t, 10);
  return undefined;
}
