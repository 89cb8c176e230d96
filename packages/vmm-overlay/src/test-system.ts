/**
 * Test fixture (not built): the MSM8x60 physical system with a VMM whose
 * kernel RAM is the first 512 MiB of EBI, as the board files set it.
 */
import { EBI_BASE, EBI_KERNEL_END, msm8x60Memory } from '@vcm/physalloc';
import type { PhysicalSystem } from '@vcm/physalloc';
import { Vmm } from './vmm.js';
import type { VmmOptions } from './vmm.js';

export const KERNEL_RAM = { base: EBI_BASE, size: EBI_KERNEL_END - EBI_BASE } as const;

export interface TestSystem extends PhysicalSystem {
  readonly vmm: Vmm;
}

export function testSystem(options: Partial<Omit<VmmOptions, 'memory' | 'allocator'>> = {}): TestSystem {
  const sys = msm8x60Memory();
  const vmm = new Vmm({ memory: sys.memory, allocator: sys.allocator, kernelRam: [KERNEL_RAM], ...options });
  return { ...sys, vmm };
}

/** A deterministic byte pattern. */
export function pattern(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Byte equality that stays fast for megabytes (vitest's deep equality walks element by element); names the first difference. */
export function sameBytes(actual: Uint8Array, expected: Uint8Array): string {
  if (actual.length !== expected.length) return `length ${actual.length} ≠ ${expected.length}`;
  if (Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.length))) return 'equal';
  let i = 0;
  while (actual[i] === expected[i]) i++;
  return `first difference at byte ${i}: ${actual[i]} ≠ ${expected[i]}`;
}
