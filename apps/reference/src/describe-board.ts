/**
 * `vcm-ref board`: the validated board in a few lines (memories, pools,
 * memtypes, SMMUs, CPU) and, for every walk-through, whether this board can
 * run it or why it would be skipped — the same check the runner makes.
 */
import type { BoardChoice } from './board.js';
import { formatSize, hex } from './format.js';
import { checkNeeds } from './needs.js';
import type { Style } from './style.js';
import type { Walkthrough } from './walkthroughs/types.js';

export function describeBoard(choice: BoardChoice, walkthroughs: readonly Walkthrough[], s: Style): string {
  const b = choice.board;
  const lines = [s.bold(`board "${b.name}" (${choice.source}): valid`), ''];
  lines.push('memories');
  for (const bank of b.memory.banks) lines.push(`  ${bank.name}: ${hex(bank.base)}, ${formatSize(bank.size)}`);
  lines.push('pools');
  for (const p of b.memory.pools) {
    lines.push(p.kind === 'block' ? `  ${p.name} (${p.bank}): ${p.count} × ${formatSize(p.blockSize)} at ${hex(p.base)}` : `  ${p.name} (${p.bank}): contiguous, ${formatSize(p.size)} at ${hex(p.base)}`);
  }
  lines.push('memtypes');
  for (const m of b.memory.memtypes) lines.push(`  ${m.id} ${m.name}: ${m.pools.join(' → ')}${m.contiguous === undefined ? '' : `; contiguous ${m.contiguous}`}`);
  lines.push(`SMMUs (${b.smmus.length})`);
  for (const smmu of b.smmus) lines.push(`  ${smmu.name} at ${hex(smmu.base)}, ${smmu.format}, ${smmu.tlb.entries}-entry TLB: ${smmu.contexts.map((c) => c.name).join(', ')}`);
  lines.push(`CPU: ${b.cpus.map((c) => c.name).join(', ')}${b.directDevices.length > 0 ? `; direct-mapped: ${b.directDevices.map((d) => d.name).join(', ')}` : ''}`);
  lines.push('', 'walk-throughs on this board');
  for (const w of walkthroughs) {
    const check = checkNeeds(b, w.needs);
    lines.push(check.ok ? `  ${s.green('✓')} ${w.id}: runs` : `  ${s.yellow('–')} ${w.id}: skipped: ${check.reasons.join('; ')}`);
  }
  return `${lines.join('\n')}\n`;
}
