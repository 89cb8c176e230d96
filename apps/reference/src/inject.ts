/**
 * A testing aid: break an invariant between two steps
 * of a walk-through, the way a stray CPU store would, by writing a bad word
 * into a page-table entry through `PhysicalMemory` — behind the VCMM's back.
 * The walk-through's checks must then fail and the process exit 1. Enabled
 * with `--inject corrupt-pte` or `VCM_REF_FAULT_INJECT=corrupt-pte`.
 */
import type { PhysicalMemory } from '@vcm/core';
import type { SmmuContext } from '@vcm/smmu';
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
 * Overwrite the leaf descriptor that translates `va` for the context `ctx`
 * with 0, an invalid descriptor in both formats (short: type 0b00; LPAE:
 * bit 0 clear in the low word). Where the leaf is comes from the hardware
 * walk from the context's registers (`ctx.walk`: its last step is the leaf
 * entry). The TLB is not told: that is the point — only a later walk sees
 * it.
 */
export function corruptPte(memory: PhysicalMemory, ctx: SmmuContext, va: number): Corruption {
  const walk = ctx.walk(va);
  const leaf = walk.steps.at(-1);
  if (walk.leaf === undefined || leaf === undefined) throw new Error(`corrupt-pte: ${hex(va)} does not translate for ${ctx.name}`);
  const before = leaf.descriptor;
  memory.writeU32(leaf.entryPa, 0);
  return { entryPa: leaf.entryPa, level: leaf.level, before, after: 0 };
}
