/**
 * Colour, only when it helps. Whether to colour is picocolors' decision, the
 * one most command-line tools share: on when stdout is a terminal (TERM not
 * `dumb`), in CI, with `FORCE_COLOR` or `--color`; off with `NO_COLOR`
 * (https://no-color.org) or `--no-color`, which win over everything.
 */
import pc from 'picocolors';

export interface Style {
  readonly enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

export function createStyle(enabled: boolean): Style {
  const c = pc.createColors(enabled);
  return { enabled, bold: c.bold, dim: c.dim, green: c.green, red: c.red, yellow: c.yellow, cyan: c.cyan };
}

/** picocolors' answer for this process (environment, argv and whether stdout is a terminal). */
export function colourWanted(): boolean {
  return pc.isColorSupported;
}
