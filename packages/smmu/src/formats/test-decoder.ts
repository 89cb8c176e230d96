/**
 * TEST SCAFFOLDING ONLY: an independent table walker written straight from
 * the ARM ARM's descriptor layouts (docs/hardware.md#page-table-formats),
 * sharing no code with the formats, to check that what the formats leave in
 * RAM is what a hardware walker would find. The LPAE walker reads 64-bit descriptors
 * as bigint on purpose, so the formats' 32-bit-halves arithmetic is checked
 * against a different calculation.
 */
import type { PhysicalMemory } from '@vcm/core';

/** ARMv7 short-descriptor walk from a level-1 table at `root`: the PA, or undefined on a translation fault. */
export function decodeShort(ram: PhysicalMemory, root: number, va: number): number | undefined {
  const l1 = ram.readU32(root + Math.floor(va / 2 ** 20) * 4);
  switch (l1 % 4) {
    case 1: {
      const l2 = ram.readU32(l1 - (l1 % 1024) + (Math.floor(va / 4096) % 256) * 4);
      if (l2 % 4 === 0) return undefined;
      if (l2 % 4 === 1) return l2 - (l2 % 65536) + (va % 65536); // large page
      return l2 - (l2 % 4096) + (va % 4096); // small page
    }
    case 2:
    case 3: {
      // `1x`: a section; bit 0 is its PXN.
      if (Math.floor(l1 / 2 ** 18) % 2 === 1) {
        const pa3532 = Math.floor(l1 / 2 ** 20) % 16;
        const pa3936 = Math.floor(l1 / 32) % 16;
        return (pa3936 * 16 + pa3532) * 2 ** 32 + (l1 - (l1 % 2 ** 24)) + (va % 2 ** 24);
      }
      return l1 - (l1 % 2 ** 20) + (va % 2 ** 20);
    }
    default:
      return undefined;
  }
}

function read64(ram: PhysicalMemory, pa: number): bigint {
  return (BigInt(ram.readU32(pa + 4)) << 32n) | BigInt(ram.readU32(pa));
}

/** LPAE 4 KiB-granule walk for a 32-bit input space starting at level 1 (`startLevel` 2 for a split of 2 or more). */
export function decodeLpae(ram: PhysicalMemory, root: number, va: number, startLevel: 1 | 2 = 1): number | undefined {
  const OA = ((1n << 40n) - 1n) & ~0xfffn; // output address [39:12]
  let table = BigInt(root);
  for (let level: number = startLevel; level <= 3; level++) {
    const shift = BigInt(39 - 9 * level); // 30, 21, 12
    const index = (BigInt(va) >> shift) & 511n;
    const d = read64(ram, Number(table + index * 8n));
    const type = d & 3n;
    if (type === 0n || (level === 3 && type === 1n)) return undefined;
    if (level === 3 || type === 1n) {
      const blockMask = (1n << shift) - 1n;
      return Number((d & OA & ~blockMask) | (BigInt(va) & blockMask));
    }
    table = d & OA;
  }
  return undefined;
}
