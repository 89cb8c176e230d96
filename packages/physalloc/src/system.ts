/**
 * A physical system from plain data: banks, block pools, contiguous pools,
 * memtypes and the page-table region, validated with clear `EINVAL`
 * messages. `@vcm/devtree` builds boards from JSON through this; the
 * MSM8x60 preset is one such description.
 */
import { VcmError } from '@vcm/core';
import { PhysAllocator } from './allocator.js';
import type { PhysRange } from './allocator.js';
import { BlockPool } from './block-pool.js';
import { ContiguousPool } from './contiguous-pool.js';
import { createMemoryType } from './memory-type.js';
import type { MemoryType } from './memory-type.js';
import { PhysicalRam } from './ram.js';

/** A RAM bank of a `PhysicalSystemDescription`: name, physical base and size in bytes. */
export interface BankDescription {
  readonly name: string;
  readonly base: number;
  readonly size: number;
}

/** A block pool of a `PhysicalSystemDescription`, carved from the named bank. */
export interface BlockPoolDescription {
  readonly name: string;
  /** The bank the pool is carved from. */
  readonly bank: string;
  readonly base: number;
  readonly blockSize: number;
  readonly count: number;
}

/** A contiguous pool of a `PhysicalSystemDescription`: name, physical base and size in bytes. */
export interface ContiguousPoolDescription {
  readonly name: string;
  readonly base: number;
  readonly size: number;
}

/** A memory type of a `PhysicalSystemDescription`, naming its pools. */
export interface MemtypeDescription {
  /** `VCM_MEMTYPE_0` is 1, and so on. */
  readonly id: number;
  readonly name: string;
  /** Block pool names, largest blocks first. */
  readonly pools: readonly string[];
  /** The contiguous pool's name, if the memtype has one (`null` or absent: none). */
  readonly contiguous?: string | null | undefined;
}

/**
 * A whole physical memory arrangement as plain, JSON-safe data: what
 * `createPhysicalSystem` validates and builds, and what a `@vcm/devtree`
 * board's memory section becomes.
 */
export interface PhysicalSystemDescription {
  readonly banks: readonly BankDescription[];
  readonly pools: readonly BlockPoolDescription[];
  readonly contiguous?: readonly ContiguousPoolDescription[] | undefined;
  readonly memtypes: readonly MemtypeDescription[];
  readonly tableRegion: PhysRange;
}

/**
 * The built arrangement: the RAM, the allocator over it and every pool and
 * memtype by name, ready to give to `new Vcmm({ memory, allocator })`.
 */
export interface PhysicalSystem {
  readonly memory: PhysicalRam;
  readonly allocator: PhysAllocator;
  /** Block pools by name, in description order. */
  readonly pools: Readonly<Record<string, BlockPool>>;
  /** Contiguous pools by name, in description order. */
  readonly contiguousPools: Readonly<Record<string, ContiguousPool>>;
  readonly memtypes: readonly MemoryType[];
  readonly tableRegion: PhysRange;
}

const WHERE = 'createPhysicalSystem';

function fail(path: string, message: string, details: Record<string, unknown> = {}): never {
  throw new VcmError('EINVAL', `${WHERE}: ${path} ${message}`, { param: path, ...details });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function requireArray(path: string, v: unknown, allowEmpty = false): readonly unknown[] {
  if (!Array.isArray(v)) fail(path, `must be an array, got ${v === null ? 'null' : typeof v}`);
  if (!allowEmpty && v.length === 0) fail(path, 'must not be empty');
  return v as readonly unknown[];
}

function requireName(path: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) fail(path, `must be a non-empty string, got ${JSON.stringify(v) ?? typeof v}`);
  return v;
}

/** Re-throw a constructor's EINVAL with the description path in front. */
function at<T>(path: string, build: () => T): T {
  try {
    return build();
  } catch (e) {
    if (e instanceof VcmError && e.code === 'EINVAL') {
      throw new VcmError('EINVAL', `${WHERE}: ${path}: ${e.message.replace(/^EINVAL: /, '')}`, { param: path, cause: e.details });
    }
    throw e;
  }
}

/** Build RAM, pools, memtypes and the allocator from plain data. */
export function createPhysicalSystem(description: PhysicalSystemDescription): PhysicalSystem {
  if (!isObject(description)) fail('description', 'must be an object { banks, pools, contiguous?, memtypes, tableRegion }');
  const bankList = requireArray('banks', description.banks);
  bankList.forEach((b, i) => {
    if (!isObject(b)) fail(`banks[${i}]`, 'must be an object { name, base, size }');
  });
  const memory = at('banks', () => new PhysicalRam({ banks: bankList as BankDescription[] }));
  const bankNames = memory.banks.map((b) => b.name);

  const pools: Record<string, BlockPool> = {};
  const poolNames = new Set<string>();
  requireArray('pools', description.pools, true).forEach((p, i) => {
    const path = `pools[${i}]`;
    if (!isObject(p)) fail(path, 'must be an object { name, bank, base, blockSize, count }');
    const name = requireName(`${path}.name`, p.name);
    if (poolNames.has(name)) fail(`${path}.name`, `${JSON.stringify(name)} is already the name of another pool`);
    const bankName = requireName(`${path}.bank`, p.bank);
    const bank = memory.banks.find((b) => b.name === bankName);
    if (bank === undefined) fail(`${path}.bank`, `${JSON.stringify(bankName)} is not a bank (banks: ${bankNames.join(', ')})`, { value: bankName });
    const pool = at(`${path} (${name})`, () => new BlockPool({ name, base: p.base as number, blockSize: p.blockSize as number, count: p.count as number }));
    if (pool.base < bank.base || pool.end > bank.base + bank.size) {
      fail(path, `(${name}) must lie inside bank ${bank.name}, but its blocks run past the bank's bounds`, { base: pool.base, end: pool.end, bank: bank.name });
    }
    poolNames.add(name);
    pools[name] = pool;
  });

  const contiguousPools: Record<string, ContiguousPool> = {};
  const contList = description.contiguous === undefined ? [] : requireArray('contiguous', description.contiguous, true);
  contList.forEach((c, i) => {
    const path = `contiguous[${i}]`;
    if (!isObject(c)) fail(path, 'must be an object { name, base, size }');
    const name = requireName(`${path}.name`, c.name);
    if (poolNames.has(name)) fail(`${path}.name`, `${JSON.stringify(name)} is already the name of another pool`);
    poolNames.add(name);
    const pool = at(`${path} (${name})`, () => new ContiguousPool({ name, base: c.base as number, size: c.size as number }));
    if (!memory.contains(pool.base, pool.size)) {
      fail(path, `(${name}) must lie inside one bank (banks: ${bankNames.join(', ')})`, { base: pool.base, size: pool.size });
    }
    contiguousPools[name] = pool;
  });

  const memtypes: MemoryType[] = [];
  requireArray('memtypes', description.memtypes).forEach((m, i) => {
    const path = `memtypes[${i}]`;
    if (!isObject(m)) fail(path, 'must be an object { id, name, pools, contiguous? }');
    const names = requireArray(`${path}.pools`, m.pools, true);
    const list = names.map((n, j) => {
      const pool = typeof n === 'string' ? pools[n] : undefined;
      if (pool === undefined) {
        fail(`${path}.pools[${j}]`, `${JSON.stringify(n)} is not a block pool (block pools: ${Object.keys(pools).join(', ') || 'none'})`, { value: typeof n === 'string' ? n : typeof n });
      }
      return pool;
    });
    let contiguous: ContiguousPool | undefined;
    // JSON boards may write `"contiguous": null` for none.
    if (m.contiguous !== undefined && m.contiguous !== null) {
      const name = m.contiguous;
      contiguous = typeof name === 'string' ? contiguousPools[name] : undefined;
      if (contiguous === undefined) {
        fail(`${path}.contiguous`, `${JSON.stringify(name)} is not a contiguous pool (contiguous pools: ${Object.keys(contiguousPools).join(', ') || 'none'})`);
      }
    }
    memtypes.push(at(path, () => createMemoryType({ id: m.id as number, name: m.name as string, pools: list, contiguous })));
  });

  const region = description.tableRegion;
  if (!isObject(region)) fail('tableRegion', 'must be an object { base, size }');
  const tableRegion = { base: region.base, size: region.size };
  const allocator = at('description', () => new PhysAllocator({ memory, memtypes, tableRegion }));
  return Object.freeze({
    memory,
    allocator,
    pools: Object.freeze(pools),
    contiguousPools: Object.freeze(contiguousPools),
    memtypes: Object.freeze(memtypes),
    tableRegion: allocator.tableRegion,
  });
}
