/**
 * The board the VCM-API conformance test builds: one RAM bank, block
 * pools of every size max munch allocates, a contiguous pool, and two SMMUs
 * of eight context banks each — one walking ARMv7 short-descriptor tables,
 * one LPAE tables — so that every split 0..7 has a context of each format
 * (docs/conformance.md#what-the-suite-covers).
 *
 * A one-page pool holds 0x61e7_d000, and the page-table region starts
 * 20 KiB below 0x8000_0000, so that the LPAE minimal case (TTBR0 =
 * 0x8000_0000, VA 0x06cc_d000 → PA 0x61e7_d000) can be made through the
 * API: the CPU's 16 KiB first-level table takes 0x7fff_c000 (its
 * alignment), a new VCM's first table the 1 KiB at 0x7fff_b000, and the
 * 4 KiB level-2 root of a T0SZ = 2 context then fits nowhere lower than
 * 0x8000_0000.
 */
import type { BoardDescription } from '@vcm/devtree';

/** The split each context's registers carry is its bank number. */
export const SPLITS = [0, 1, 2, 3, 4, 5, 6, 7] as const;

export const TABLE_REGION = { base: 0x7fff_b000, size: 0x0040_0000 } as const;

/** The memtype whose only pool is the page at 0x61e7_d000. */
export const PROBE_MEMTYPE = 5;
export const PROBE_PA = 0x61e7_d000;

/** Memtypes for random allocations (1..4); their pools are listed largest blocks first. */
export const MEMTYPES = [1, 2, 3, 4] as const;

export const contextName = (format: 'short' | 'lpae', split: number): string => `${format}_n${split}`;

export function conformanceBoard(): BoardDescription {
  const smmu = (name: string, i: number, format: 'armV7Short' | 'armLpae4k', prefix: 'short' | 'lpae'): BoardDescription['smmus'][number] => ({
    name,
    base: 0x0400_0000 + i * 0x0010_0000,
    irq: 96 + i,
    contextBanks: SPLITS.length,
    format,
    tlb: { entries: 32, policy: 'lru' },
    hwVersion: 0x0001_0000,
    contexts: SPLITS.map((n) => ({ name: contextName(prefix, n) })),
  });
  return {
    name: 'qemu-conformance',
    memory: {
      banks: [{ name: 'ram', base: 0x4000_0000, size: 0x8000_0000 }],
      pools: [
        { name: 'ram-4k', bank: 'ram', base: 0x4800_0000, blockSize: 0x0000_1000, count: 16384 },
        { name: 'ram-64k', bank: 'ram', base: 0x4c00_0000, blockSize: 0x0001_0000, count: 2048 },
        { name: 'ram-1m', bank: 'ram', base: 0x5400_0000, blockSize: 0x0010_0000, count: 192 },
        { name: 'ram-cont', bank: 'ram', base: 0x6000_0000, size: 0x0100_0000, contiguous: true },
        { name: 'probe-4k', bank: 'ram', base: PROBE_PA, blockSize: 0x0000_1000, count: 1 },
        { name: 'ram-16m', bank: 'ram', base: 0x6200_0000, blockSize: 0x0100_0000, count: 24 },
      ],
      memtypes: [
        { id: 1, name: 'VCM_MEMTYPE_0', pools: ['ram-16m', 'ram-1m', 'ram-64k', 'ram-4k'], contiguous: 'ram-cont' },
        { id: 2, name: 'VCM_MEMTYPE_1', pools: ['ram-1m', 'ram-64k', 'ram-4k'] },
        { id: 3, name: 'VCM_MEMTYPE_2', pools: ['ram-64k', 'ram-4k'] },
        { id: 4, name: 'VCM_MEMTYPE_3', pools: ['ram-4k'] },
        { id: PROBE_MEMTYPE, name: 'PROBE', pools: ['probe-4k'] },
      ],
      tableRegion: TABLE_REGION,
      kernelRam: [{ base: 0x4000_0000, size: 0x0800_0000 }],
    },
    smmus: [smmu('v7s', 0, 'armV7Short', 'short'), smmu('lpae', 1, 'armLpae4k', 'lpae')],
    cpus: [{ name: 'cpu0' }],
  };
}
