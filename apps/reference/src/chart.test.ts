/**
 * The terminal bar chart with a marker (the performance study's frame
 * deadline): the marker's column, bars that cross it, the line naming it,
 * and charts without one drawn as before.
 */
import { describe, expect, it } from 'vitest';
import { renderChart } from './chart.js';
import type { BarChart } from './report.js';

const deadline: BarChart = {
  title: '4K60 rotated scan-out',
  unit: 'ms',
  logScale: false,
  bars: [
    { label: 'slow', value: 20 },
    { label: 'fast', value: 5 },
    { label: 'idle', value: 0 },
  ],
  marker: { label: 'the 60 fps deadline', value: 10 },
};

describe('renderChart with a marker', () => {
  it('draws the marker in the cell its value fills last, through bars shorter and longer than it', () => {
    const lines = renderChart(deadline, { width: 20, ascii: true });
    expect(lines).toEqual([
      '4K60 rotated scan-out (ms)',
      `  slow 20 ${'#'.repeat(9)}|${'#'.repeat(10)}`,
      `  fast  5 ${'#'.repeat(5)}    |`,
      `  idle  0          |`,
      `          ${' '.repeat(9)}| the 60 fps deadline: 10 ms`,
    ]);
  });

  it('scales to the marker when every bar is below it, so the deadline stays on the chart', () => {
    const lines = renderChart({ ...deadline, bars: [{ label: 'a', value: 4 }], marker: { label: 'd', value: 16 } }, { width: 16, ascii: true });
    expect(lines[1]).toBe(`  a 4 ${'#'.repeat(4)}${' '.repeat(11)}|`);
    expect(lines[2]).toBe(`      ${' '.repeat(15)}| d: 16 ms`);
  });

  it('uses a box-drawing line over Unicode bars', () => {
    const lines = renderChart(deadline, { width: 20 });
    expect(lines[1]).toBe(`  slow 20 ${'█'.repeat(9)}│${'█'.repeat(10)}`);
    expect(lines[2]).toBe(`  fast  5 ${'█'.repeat(5)}    │`);
  });

  it('a chart without a marker has no marker column and no marker line', () => {
    const { marker: _, ...plain } = deadline;
    const lines = renderChart(plain, { width: 20, ascii: true });
    expect(lines).toEqual(['4K60 rotated scan-out (ms)', `  slow 20 ${'#'.repeat(20)}`, `  fast  5 ${'#'.repeat(5)}`, '  idle  0 ']);
  });
});
