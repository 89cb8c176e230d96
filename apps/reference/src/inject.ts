/**
 * A testing aid: break an invariant between two steps
 * of a walk-through, the way a stray CPU store would, by writing a bad word
 * into a page-table entry through `PhysicalMemory` — behind the VCMM's back.
 * The walk-through's checks must then fail and the process exit 1. Enabled
 * with `--inject corrupt-pte` or `VCM_REF_FAULT_INJECT=corrupt-pte`.
 */
import type { PhysicalMemory } from '@vcm/core';
import { hex } from './format.js';

export const INJECTIONS = ['corrupt-pte'] as const;
export type Injection = (typeof INJECTIONS)[number];

export function parseInjection(value: string | undefined): Injection | undefined {
  if (value === undefined || value === '') return undefined;
  return (INJECTIONS as readonly string[]).includes(value) ? (value as Injection) : undefined;
}

export interface Corruption {
  /** Physical address of the descriptor word that was overwritten. */
  readonly entryPa: number;
  readonly level: number;
  readonly before: number;
  readonly after: number;
}

/**
 * Find the physical address of the leaf descriptor (its low word) that
 * translates `va` in the table rooted at `rootPa`, reading the table from
 * RAM as the hardware would (docs/hardware.md#page-table-formats:
 * short-descriptor L1 index
 * VA[31:20], L2 index VA[19:12]; LPAE 4 KiB granule from level 1, 9 bits a
 * level, 8-byte descriptors, low word first).
 */
export function leafEntryPa(memory: PhysicalMemory, format: 'armV7Short' | 'armLpae4k', rootPa: number, va: number): { pa: number; level: number } | undefined {
  if (format === 'armV7Short') {
    const l1 = rootPa + (va >>> 20) * 4;
    const d1 = memory.readU32(l1);
    const type = d1 & 3;
    if (type === 2) return { pa: l1, level: 1 }; // section or supersection
    if (type !== 1) return undefined;
    const l2 = (d1 & 0xfffffc00) >>> 0;
    return { pa: l2 + ((va >>> 12) & 0xff) * 4, level: 2 };
  }
  let table = rootPa;
  for (let level = 1; level <= 3; level++) {
    const shift = 39 - 9 * level; // 30, 21, 12
    const index = level === 1 ? (va / 2 ** 30) & 3 : (va >>> shift) & 0x1ff;
    const entry = table + index * 8;
    const lo = memory.readU32(entry);
    const hi = memory.readU32(entry + 4);
    if ((lo & 1) === 0) return undefined;
    if (level === 3 || (lo & 3) === 1) return { pa: entry, level };
    table = (hi & 0xff) * 2 ** 32 + ((lo & 0xfffff000) >>> 0);
  }
  return undefined;
}

/**
 * Overwrite the leaf descriptor of `va` with an invalid word (low bits 00,
 * the rest kept so a dump shows what was there). The TLB is not told: that
 * is the point — only a later walk sees it.
 */
export function corruptPte(memory: PhysicalMemory, format: 'armV7Short' | 'armLpae4k', rootPa: number, va: number): Corruption {
  const leaf = leafEntryPa(memory, format, rootPa, va);
  if (leaf === undefined) throw new Error(`corrupt-pte: ${hex(va)} is not mapped in the table at ${hex(rootPa)}`);
  const before = memory.readU32(leaf.pa);
  const after = (before & ~3) >>> 0;
  memory.writeU32(leaf.pa, after);
  return { entryPa: leaf.pa, level: leaf.level, before, after };
}
