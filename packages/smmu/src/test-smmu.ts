/**
 * TEST SCAFFOLDING ONLY (excluded from the build by `src/**\/test-*.ts`): an
 * SMMU over the formats' test RAM, a logger that records warnings, and a
 * minimal memtype allocator for the core-driver tests.
 */
import { SZ_1M, SZ_4K, SZ_64K, VCM_64KB, VCM_ALL, VCM_MEMTYPE_0, VcmError } from '@vcm/core';
import type { ContiguousRegion, Logger, PhysAllocation, PhysChunk, PhysicalAllocator } from '@vcm/core';
import type { PageTableFormat } from './format.js';
import { armV7Short } from './formats/index.js';
import { TestRam } from './formats/test-ram.js';
import { Smmu, type SmmuOptions } from './smmu.js';
import type { SmmuContext } from './context.js';

export class RecordingLogger implements Logger {
  readonly warnings: Array<{ message: string; details: Readonly<Record<string, unknown>> | undefined }> = [];
  warn(message: string, details?: Readonly<Record<string, unknown>>): void {
    this.warnings.push({ message, details });
  }
}

export interface TestSystem {
  readonly ram: TestRam;
  readonly smmu: Smmu;
  readonly logger: RecordingLogger;
}

/** An SMMU named `smmu0` at 0x0440_0000, IRQ 42, 2 banks, short format, 32-entry LRU TLB unless overridden. */
export function testSmmu(overrides: Partial<SmmuOptions> & { format?: PageTableFormat; ram?: TestRam } = {}): TestSystem {
  const ram = overrides.ram ?? new TestRam();
  const logger = new RecordingLogger();
  const smmu = new Smmu({
    name: 'smmu0',
    base: 0x0440_0000,
    irq: 42,
    contextBanks: 2,
    format: armV7Short,
    hwVersion: 0x20,
    memory: ram,
    tableAllocator: ram,
    logger,
    ...overrides,
  });
  return { ram, smmu, logger };
}

/**
 * A memtype allocator for the core-driver tests (core's `PhysicalAllocator`
 * over the test RAM): VCM_MEMTYPE_0 only, max munch over separate 1 MiB,
 * 64 KiB and 4 KiB bump regions, so an allocation is deliberately not
 * contiguous and a VCM mapping of it mixes page sizes. Frees are recorded,
 * not reused. Not a model of anything: `@vcm/physalloc` is the allocator.
 */
export class TestAllocator implements PhysicalAllocator {
  readonly memtypes = [VCM_MEMTYPE_0];
  private next1m = 0x4000_0000;
  private next64k = 0x5000_0000;
  private next4k = 0x5800_0000;
  readonly freed: PhysAllocation[] = [];

  constructor(private readonly ram: TestRam) {}

  allocate(memtype: number, len: number, attr: number): PhysAllocation {
    if (memtype !== VCM_MEMTYPE_0) throw new VcmError('EINVAL', `test allocator: no memtype ${memtype}`, { memtype });
    const chunks: PhysChunk[] = [];
    let left = len;
    const only64k = (attr & VCM_64KB) !== 0 && (attr & VCM_ALL) === 0;
    while (left > 0) {
      if (!only64k && left >= SZ_1M) {
        chunks.push({ pa: this.next1m, len: SZ_1M, blockSize: SZ_1M });
        this.next1m += SZ_1M;
        left -= SZ_1M;
      } else if (left >= SZ_64K || only64k) {
        chunks.push({ pa: this.next64k, len: SZ_64K, blockSize: SZ_64K });
        this.next64k += SZ_64K;
        left -= SZ_64K;
      } else {
        chunks.push({ pa: this.next4k, len: SZ_4K, blockSize: SZ_4K });
        this.next4k += SZ_4K;
        left -= SZ_4K;
      }
    }
    const contiguous = chunks.every((c, i) => i === 0 || chunks[i - 1]!.pa + chunks[i - 1]!.len === c.pa);
    return { memtype, len, attr, chunks, contiguous };
  }

  free(allocation: PhysAllocation): void {
    this.freed.push(allocation);
  }

  contiguousRegion(): ContiguousRegion | undefined {
    return undefined;
  }

  allocateTable(size: number, align: number): number {
    return this.ram.allocateTable(size, align);
  }

  freeTable(pa: number, size: number): void {
    this.ram.freeTable(pa, size);
  }
}

/** A test SMMU with context bank 0 created, bound and activated: the start of most fault and defect tests. */
export function activeTestContext(): TestSystem & { ctx: SmmuContext } {
  const sys = testSmmu();
  const ctx = sys.smmu.createContext(0);
  ctx.bind(sys.smmu);
  ctx.activate();
  return { ...sys, ctx };
}
