/**
 * The board description: a plain JSON object that a user can write in a
 * file and that `buildPlatform` turns into a whole simulated system (the
 * seed's "second API": the device topology in which contexts are found by
 * name, seed 000 "Userspace Access to Devices with IOMMUs").
 *
 * Two shapes: `BoardDescription` is what a user writes (addresses as numbers
 * or hex strings such as "0x3800_0000"); `Board` is what `validateBoard`
 * returns, every address a number and every default filled in.
 */

/** An address or size as written in JSON: a number, or a hex string ("0x3800_0000", "0x38000000"). */
export type AddressInput = number | string;

export interface BankDescription {
  readonly name: string;
  readonly base: AddressInput;
  readonly size: AddressInput;
}

/** A pool of equal blocks that are never split (docs/hardware.md#physical-memory-and-pools: 16 MiB, 1 MiB, 64 KiB, 4 KiB pools). */
export interface BlockPoolDescription {
  readonly name: string;
  readonly bank: string;
  /** Aligned to `blockSize`. */
  readonly base: AddressInput;
  readonly blockSize: AddressInput;
  readonly count: number;
}

/** The contiguous pool that one-to-one VCMs and `VCM_PHYS_CONT` use (docs/hardware.md#the-msm8x60-memory-arrangement: the last 8 MiB of SMI). */
export interface ContiguousPoolDescription {
  readonly name: string;
  readonly bank: string;
  readonly base: AddressInput;
  readonly size: AddressInput;
  readonly contiguous: true;
}

export type PoolDescription = BlockPoolDescription | ContiguousPoolDescription;

/** A memory type (the seed's memtype / memory target): an ordered list of block pools, largest blocks first. */
export interface MemtypeDescription {
  /** `VCM_MEMTYPE_0` is 1, `VCM_MEMTYPE_1` 2 …; 0 is `VCM_INVALID`. */
  readonly id: number;
  readonly name: string;
  readonly pools: readonly string[];
  /** The contiguous pool of this memtype (`vcm_get_cont_memtype_pa`), by name. */
  readonly contiguous?: string;
}

export interface RegionDescription {
  readonly base: AddressInput;
  readonly size: AddressInput;
}

export interface MemoryDescription {
  readonly banks: readonly BankDescription[];
  readonly pools: readonly PoolDescription[];
  readonly memtypes: readonly MemtypeDescription[];
  /** Where page tables (IOMMU and CPU) are allocated from. */
  readonly tableRegion: RegionDescription;
  /** RAM the kernel owns (the CPU's linear map covers it); never handed to the VCMM's pools. At least one range. */
  readonly kernelRam: readonly RegionDescription[];
}

export type FormatName = 'armV7Short' | 'armLpae4k';

export interface TlbDescription {
  readonly entries: number;
  readonly policy: TlbPolicy;
}

export type TlbPolicy = 'lru' | 'fifo' | 'random';

export interface ContextDescription {
  /** Global across the board: `getCtxInstance(name)` and `/dev/<name>` find it. */
  readonly name: string;
  /** Context bank index; defaults to the context's position in the list. */
  readonly bank?: number;
}

export interface SmmuDescription {
  readonly name: string;
  /** Register base (what `smmu_get_base_addr` returns); 4 KiB aligned. */
  readonly base: AddressInput;
  readonly irq: number;
  /** Number of hardware context banks. */
  readonly contextBanks: number;
  readonly format: FormatName;
  readonly tlb: TlbDescription;
  /** What `vcm_hw_ver` reports for its contexts. */
  readonly hwVersion: number;
  readonly contexts: readonly ContextDescription[];
  /** Allow more contexts than banks, several sharing a bank (virtual contexts). Default false. */
  readonly allowVirtualContexts?: boolean;
}

export interface NamedDescription {
  readonly name: string;
}

/** The whole board as a user writes it (see `board.schema.json`). */
export interface BoardDescription {
  readonly name: string;
  readonly memory: MemoryDescription;
  readonly smmus: readonly SmmuDescription[];
  readonly cpus: readonly NamedDescription[];
  readonly directDevices?: readonly NamedDescription[];
}

// ---- the validated, normalised form ----------------------------------------

export interface Bank {
  readonly name: string;
  readonly base: number;
  readonly size: number;
}

export interface BlockPool {
  readonly kind: 'block';
  readonly name: string;
  readonly bank: string;
  readonly base: number;
  readonly blockSize: number;
  readonly count: number;
  /** `blockSize * count`. */
  readonly size: number;
}

export interface ContiguousPool {
  readonly kind: 'contiguous';
  readonly name: string;
  readonly bank: string;
  readonly base: number;
  readonly size: number;
}

export type Pool = BlockPool | ContiguousPool;

export interface Memtype {
  readonly id: number;
  readonly name: string;
  readonly pools: readonly string[];
  readonly contiguous: string | undefined;
}

export interface Region {
  readonly base: number;
  readonly size: number;
}

export interface Memory {
  readonly banks: readonly Bank[];
  readonly pools: readonly Pool[];
  readonly memtypes: readonly Memtype[];
  readonly tableRegion: Region;
  readonly kernelRam: readonly Region[];
}

export interface Context {
  readonly name: string;
  readonly bank: number;
}

export interface SmmuSpec {
  readonly name: string;
  readonly base: number;
  readonly irq: number;
  readonly contextBanks: number;
  readonly format: FormatName;
  readonly tlb: { readonly entries: number; readonly policy: TlbPolicy };
  readonly hwVersion: number;
  readonly contexts: readonly Context[];
  readonly allowVirtualContexts: boolean;
}

/** A validated board: every address a number, every default filled in. */
export interface Board {
  readonly name: string;
  readonly memory: Memory;
  readonly smmus: readonly SmmuSpec[];
  readonly cpus: readonly { readonly name: string }[];
  readonly directDevices: readonly { readonly name: string }[];
}

export const FORMAT_NAMES: readonly FormatName[] = ['armV7Short', 'armLpae4k'];
export const TLB_POLICIES: readonly TlbPolicy[] = ['lru', 'fifo', 'random'];
