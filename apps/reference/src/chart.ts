/**
 * A horizontal bar chart for the terminal (the TLB study's misses per
 * mapping size). Values spanning orders of magnitude (4096 misses against 1)
 * are drawn on a log scale, or the small bars would vanish; the exact value
 * is printed beside every bar either way. A marker (a frame deadline) is a
 * column drawn through every bar at its value, so a bar that crosses it
 * shows at a glance.
 */
import type { BarChart } from './report.js';

const FULL = '█';
const PARTIAL = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** The bar for `value` on a scale where `max` fills `width` cells. */
function bar(value: number, max: number, width: number, ascii: boolean): string {
  if (max <= 0 || value <= 0) return '';
  const cells = (value / max) * width;
  const whole = Math.floor(cells);
  if (ascii) return '#'.repeat(Math.max(whole, 1));
  const eighth = Math.round((cells - whole) * 8);
  return FULL.repeat(whole) + (eighth === 8 ? FULL : PARTIAL[eighth]!) || PARTIAL[1]!;
}

export interface ChartOptions {
  /** Cells for the longest bar. */
  readonly width?: number;
  /** Plain `#` bars (no Unicode block characters). */
  readonly ascii?: boolean;
}

/** The chart as lines of text. */
export function renderChart(chart: BarChart, options: ChartOptions = {}): string[] {
  const width = options.width ?? 40;
  const ascii = options.ascii ?? false;
  // log10(v + 1) keeps 1 visible and 0 empty.
  const scale = (v: number): number => (chart.logScale ? Math.log10(v + 1) : v);
  const marker = chart.marker;
  const max = Math.max(0, ...chart.bars.map((b) => scale(b.value)), marker === undefined ? 0 : scale(marker.value));
  const labelWidth = Math.max(...chart.bars.map((b) => b.label.length));
  const valueWidth = Math.max(...chart.bars.map((b) => String(b.value).length));
  const lines = [`${chart.title} (${chart.unit}${chart.logScale ? ', log scale' : ''})`];
  const markChar = ascii ? '|' : '│';
  // The marker's cell: the one its value would fill last (its bar's length − 1).
  const markAt = marker === undefined || max <= 0 ? -1 : Math.max(0, Math.ceil((scale(marker.value) / max) * width) - 1);
  for (const b of chart.bars) {
    const drawn = bar(scale(b.value), max, width, ascii);
    lines.push(`  ${b.label.padEnd(labelWidth)} ${String(b.value).padStart(valueWidth)} ${markAt < 0 ? drawn : markedBar(drawn, markAt, markChar)}`);
  }
  if (marker !== undefined && markAt >= 0) {
    lines.push(`  ${' '.repeat(labelWidth + valueWidth + 1)} ${' '.repeat(markAt)}${markChar} ${marker.label}: ${marker.value} ${chart.unit}`);
  }
  return lines;
}

/** `drawn` with `mark` at cell `at` (past its end: spaces up to it). Each bar character is one UTF-16 unit. */
function markedBar(drawn: string, at: number, mark: string): string {
  const cells = drawn.padEnd(at + 1, ' ').split('');
  cells[at] = mark;
  return cells.join('').trimEnd();
}
