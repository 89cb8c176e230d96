/**
 * The text view of a run: an opening paragraph that says what is shown,
 * then per walk-through its steps (the seed's C call, what ran, what it
 * answered), tables, charts, `--verbose` details and named checks — or,
 * for a walk-through the board cannot serve, why it was skipped — then one
 * summary of every check.
 */
import { renderChart } from './chart.js';
import type { Check, RunReport, Step, Table, WalkthroughReport } from './report.js';
import type { Style } from './style.js';

export interface TextOptions {
  readonly style: Style;
  /** Wrap paragraphs to this many columns. */
  readonly width?: number;
}

/** Greedy word wrap of one paragraph. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    if (line.length > 0 && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line.length > 0 ? `${line} ${word}` : word;
    }
  }
  if (line.length > 0) lines.push(indent + line);
  return lines;
}

export function renderTable(table: Table): string[] {
  const numeric = new Set(table.numeric ?? []);
  const cells = table.rows.map((r) => r.map(String));
  const widths = table.columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const fmt = (row: readonly string[]): string =>
    row
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const lines = [table.title, `  ${fmt(table.columns)}`, `  ${widths.map((w) => '─'.repeat(w)).join('  ')}`];
  for (const r of cells) lines.push(`  ${fmt(r)}`);
  if (table.note !== undefined) lines.push(...wrap(table.note, 78, '  '));
  return lines;
}

function renderStep(n: number, step: Step, s: Style): string[] {
  const num = `${String(n).padStart(3)}. `;
  const pad = ' '.repeat(num.length);
  const lines = [`${num}${s.cyan(step.cCall)}`, `${pad}${s.dim('ran')}  ${step.ran}`];
  lines.push(`${pad}${s.dim('got')}  ${step.ok ? step.result : s.red(step.result)}`);
  if (step.note !== undefined) {
    const noteLines = wrap(step.note, 78, `${pad}     `);
    noteLines[0] = `${pad}${s.yellow('note')} ${noteLines[0]!.slice(pad.length + 5)}`;
    lines.push(...noteLines);
  }
  return lines;
}

function renderCheck(c: Check, s: Style): string {
  if (c.pass) return `  ${s.green('✓')} ${c.name}: ${c.actual}`;
  return `  ${s.red('✗')} ${s.bold(c.name)}: expected ${c.expected}, got ${s.red(c.actual)}`;
}

export function renderWalkthrough(w: WalkthroughReport, index: number, options: TextOptions): string[] {
  const s = options.style;
  const width = options.width ?? 78;
  const heading = `${index}. ${w.id} — ${w.title}`;
  const lines = ['', s.bold(heading), s.dim(`   from ${w.source}`), ...wrap(w.summary, width, '   '), ''];
  if (w.status === 'skipped') {
    for (const r of w.skipReasons) lines.push(...wrap(`${s.yellow('skipped:')} ${r}`, width, '  '));
    return lines;
  }
  let stage: string | undefined;
  w.steps.forEach((step, i) => {
    if (step.stage !== undefined && step.stage !== stage) {
      stage = step.stage;
      lines.push(`  ${s.bold(stage)}`);
    }
    lines.push(...renderStep(i + 1, step, s));
  });
  for (const f of w.figures) lines.push('', f.title, ...f.text.split('\n').map((l) => `  ${l}`));
  for (const t of w.tables) lines.push('', ...renderTable(t));
  for (const c of w.charts) lines.push('', ...renderChart(c, { ascii: !s.enabled && process.env['VCM_REF_ASCII'] === '1' }));
  for (const d of w.details) lines.push('', s.dim(`[verbose] ${d.title}`), ...d.text.split('\n').map((l) => `  ${l}`));
  const failed = w.checks.filter((c) => !c.pass).length;
  lines.push('', `  checks (${w.checks.length - failed}/${w.checks.length} passed, ${w.durationMs} ms)`);
  for (const c of w.checks) lines.push(renderCheck(c, s));
  return lines;
}

export function renderText(report: RunReport, options: TextOptions): string {
  const s = options.style;
  const width = options.width ?? 78;
  const lines = [s.bold(`vcm-ref — the VCMM walk-throughs on board "${report.board.name}" (${report.board.source})`), ''];
  lines.push(...wrap(report.intro, width));
  report.walkthroughs.forEach((w, i) => lines.push(...renderWalkthrough(w, i + 1, options)));
  const sum = report.summary;
  lines.push('', s.bold('summary'));
  for (const w of report.walkthroughs) {
    if (w.status === 'skipped') {
      lines.push(`  ${s.yellow('–')} ${w.id.padEnd(15)} skipped: ${w.skipReasons.join('; ')}`);
      continue;
    }
    const failed = w.checks.filter((c) => !c.pass).length;
    const mark = failed === 0 ? s.green('✓') : s.red('✗');
    lines.push(`  ${mark} ${w.id.padEnd(15)} ${String(w.checks.length - failed).padStart(3)}/${w.checks.length} checks  ${String(w.durationMs).padStart(6)} ms`);
  }
  const ran = sum.walkthroughs - sum.skippedWalkthroughs;
  const skipped = sum.skippedWalkthroughs > 0 ? `, ${sum.skippedWalkthroughs} skipped for this board` : '';
  if (sum.failed === 0) {
    lines.push(s.green(`all ${sum.checks} checks passed in ${ran} walk-through(s)${skipped}, ${(sum.durationMs / 1000).toFixed(1)} s`));
  } else {
    lines.push(s.red(`${sum.failed} of ${sum.checks} checks FAILED:`));
    for (const f of sum.failedChecks) lines.push(s.red(`  ✗ ${f}`));
  }
  return `${lines.join('\n')}\n`;
}
