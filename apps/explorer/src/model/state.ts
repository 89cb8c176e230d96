/**
 * What the explorer shows of a platform after one step, as plain data: the
 * mapping graph (core's snapshot), every context's registers and tables, the
 * CPU's mappings found by walking its registers, the translation caches and
 * physical memory. Taken from the live platform by `captureState` after each
 * step, so stepping back is reading an older capture, and "what changed" is
 * a comparison of two captures.
 */
import type { VcmmSnapshot } from '@vcm/core';
import type { BlockPoolStats, ContiguousPoolStats, MemtypeStats } from '@vcm/physalloc';
import type { BankRegisterFields, BankRegisterValues, TlbEntry, TlbStats } from '@vcm/smmu';

/** One valid leaf of a translation table, whoever found it (a context's dump or the CPU's walk). */
export interface Leaf {
  readonly va: number;
  readonly size: number;
  readonly pa: number;
  readonly level: number;
  readonly descriptor: number;
  readonly descriptorHigh: number;
  /** The VCM attribute bits the descriptor decodes to (VCM_READ, VCM_WRITE, VCM_EXECUTE …). */
  readonly prot: number;
}

/** One page table a register points at. */
export interface TableState {
  readonly base: 'TTBR0' | 'TTBR1' | 'own';
  readonly format: string;
  readonly rootPa: number;
  readonly tableBytes: number;
  readonly leaves: readonly Leaf[];
}

export interface ContextState {
  readonly name: string;
  readonly smmu: string;
  readonly format: string;
  readonly active: boolean;
  readonly registers: BankRegisterValues;
  readonly fields: BankRegisterFields;
  readonly tables: readonly TableState[];
}

export interface CpuState {
  readonly name: string;
  readonly format: string;
  /** Register words, as the CPU reports them (hex strings). */
  readonly registers: Readonly<Record<string, string>>;
  /** Leaves of the linear map and of every placed reservation of a CPU VCM, from `cpu.walk`. */
  readonly leaves: readonly Leaf[];
}

/** A translation cache: the TLB the seeds' SMMU has, or the CPU's. */
export interface TlbState {
  readonly name: string;
  readonly stats: TlbStats;
  readonly entries: readonly TlbEntry[];
  /** The counters of further caches (micro-TLB, walk cache …) when the SMMU model has them, by cache name. */
  readonly caches: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export interface BankState {
  readonly name: string;
  readonly base: number;
  readonly size: number;
}

export interface PhysState {
  readonly banks: readonly BankState[];
  readonly pools: readonly BlockPoolStats[];
  readonly contiguous: readonly ContiguousPoolStats[];
  /** The page-table region. */
  readonly tables: ContiguousPoolStats;
  readonly memtypes: readonly MemtypeStats[];
}

/** A device of the board the graph can name: an SMMU context, the CPU, a direct-mapped device. */
export interface DeviceState {
  readonly name: string;
  readonly kind: 'context' | 'cpu' | 'direct';
  readonly smmu: string | null;
}

export interface StepState {
  readonly graph: VcmmSnapshot;
  readonly devices: readonly DeviceState[];
  readonly contexts: readonly ContextState[];
  readonly cpu: CpuState | undefined;
  readonly tlbs: readonly TlbState[];
  readonly phys: PhysState;
}
