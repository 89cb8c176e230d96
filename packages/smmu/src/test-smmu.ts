/**
 * TEST SCAFFOLDING ONLY (excluded from the build by `src/**\/test-*.ts`): an
 * SMMU over the formats' test RAM, and a logger that records warnings.
 */
import type { Logger } from '@vcm/core';
import type { PageTableFormat } from './format.js';
import { armV7Short } from './formats/index.js';
import { TestRam } from './formats/test-ram.js';
import { Smmu, type SmmuOptions } from './smmu.js';

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
