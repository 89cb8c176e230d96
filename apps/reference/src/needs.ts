/**
 * What a walk-through needs from the board, declared as data beside the
 * walk-through and checked against the validated board before anything
 * runs. A board the validator accepts but that lacks something a
 * walk-through needs (a context, a memtype, a 4 KiB pool, room in a pool)
 * gets that walk-through reported as skipped with the reason: a valid board
 * never makes the app look broken.
 *
 * Allocations are checked the way the allocator plans them (its memtype's
 * pools in list order, as many blocks of each as fit in what is still
 * missing, the rest carried down), but exactly: a walk-through backs a
 * reservation of its own length, so a remainder the allocator would round
 * up to a bigger block is as much a shortfall as a pool that runs dry.
 */
import { formatSize } from '@vcm/core';
import type { Board, BlockPool, Memtype } from '@vcm/devtree';
import { ROLES, resolveRoles } from './devices.js';
import type { ContextChoice, Role } from './devices.js';

/** One `vcm_phys_alloc` a walk-through makes. */
export interface AllocationNeed {
  readonly bytes: number;
  /** The block sizes its attribute allows (all the memtype has when absent). */
  readonly blockSizes?: readonly number[];
}

export interface MemtypeNeed {
  /** The memtype id the walk-through passes (`VCM_MEMTYPE_0` is 1). */
  readonly memtype: number;
  /** Block sizes that must be among the memtype's pools. */
  readonly blockSizes?: readonly number[];
  /** Every allocation from this memtype, in order; all are live at once. */
  readonly allocations?: readonly AllocationNeed[];
  /** A contiguous pool (`vcm_get_cont_memtype_pa`) of at least this many bytes. */
  readonly contiguousBytes?: number;
}

export interface Needs {
  /** Device roles the walk-through plays (see `devices.ts`). */
  readonly contexts?: readonly Role[];
  /** At least one SMMU, whatever its contexts. */
  readonly smmu?: boolean;
  /** A direct-mapped device (no IOMMU: its device addresses are physical), for a one-to-one VCM. */
  readonly directDevice?: boolean;
  readonly memtypes?: readonly MemtypeNeed[];
  /** The CPU with the kernel's page table (prebuilt VCMs, processes). */
  readonly cpu?: boolean;
}

/** What the check found: the contexts chosen for each role, or every reason the walk-through cannot run. */
export type NeedsCheck =
  | { readonly ok: true; readonly contexts: Readonly<Partial<Record<Role, ContextChoice>>> }
  | { readonly ok: false; readonly reasons: readonly string[] };

/** `VCM_MEMTYPE_0`, with the board's own name for it when that differs. */
export function memtypeLabel(id: number, board: Board): string {
  const constant = `VCM_MEMTYPE_${id - 1}`;
  const named = board.memory.memtypes.find((m) => m.id === id)?.name;
  return named === undefined || named === constant ? constant : `${constant} ("${named}")`;
}

function blockPoolsOf(board: Board, type: Memtype): BlockPool[] {
  const out: BlockPool[] = [];
  for (const name of type.pools) {
    const pool = board.memory.pools.find((p) => p.name === name);
    if (pool?.kind === 'block') out.push(pool);
  }
  return out;
}

function sizesText(sizes: readonly number[]): string {
  return sizes.length === 0 ? 'none' : [...new Set(sizes)].sort((a, b) => b - a).map(formatSize).join(', ');
}

/**
 * Plan `need` over the memtype's pools, taking blocks from `taken` (blocks
 * already used per pool name: pools are shared between memtypes). Returns
 * the reason it cannot be met exactly, or undefined after recording what it
 * took.
 */
function planExactly(board: Board, type: Memtype, label: string, need: AllocationNeed, taken: Map<string, number>): string | undefined {
  const allowed = blockPoolsOf(board, type).filter((p) => need.blockSizes === undefined || need.blockSizes.includes(p.blockSize));
  const take = new Map<string, number>();
  let rest = need.bytes;
  for (const pool of allowed) {
    const free = pool.count - (taken.get(pool.name) ?? 0) - (take.get(pool.name) ?? 0);
    const n = Math.min(Math.floor(rest / pool.blockSize), free);
    if (n > 0) take.set(pool.name, (take.get(pool.name) ?? 0) + n);
    rest -= n * pool.blockSize;
  }
  if (rest !== 0) {
    const what = need.blockSizes === undefined ? '' : ` (${sizesText(need.blockSizes)} blocks)`;
    const smaller = allowed.some((p) => p.blockSize <= rest);
    return smaller
      ? `${label} runs out of blocks: ${formatSize(rest)} of a ${formatSize(need.bytes)} allocation${what} are missing`
      : `${label} cannot make exactly ${formatSize(need.bytes)}${what}: ${formatSize(rest)} are left that only a smaller block could fill (its block sizes: ${sizesText(allowed.map((p) => p.blockSize))})`;
  }
  for (const [name, n] of take) taken.set(name, (taken.get(name) ?? 0) + n);
  return undefined;
}

function memtypeReasons(board: Board, need: MemtypeNeed): string[] {
  const label = memtypeLabel(need.memtype, board);
  const type = board.memory.memtypes.find((m) => m.id === need.memtype);
  if (type === undefined) return [`this board has no memtype ${label} (id ${need.memtype})`];
  const reasons: string[] = [];
  const sizes = new Set(blockPoolsOf(board, type).map((p) => p.blockSize));
  for (const s of need.blockSizes ?? []) {
    if (!sizes.has(s)) reasons.push(`this board has no ${formatSize(s)} pool in ${label}`);
  }
  if (need.contiguousBytes !== undefined) {
    const cont = type.contiguous === undefined ? undefined : board.memory.pools.find((p) => p.name === type.contiguous);
    if (cont === undefined) reasons.push(`this board has no contiguous pool in ${label}`);
    else if (cont.size < need.contiguousBytes) reasons.push(`${label}'s contiguous pool is ${formatSize(cont.size)}, less than the ${formatSize(need.contiguousBytes)} needed`);
  }
  if (reasons.length > 0) return reasons;
  const taken = new Map<string, number>();
  for (const a of need.allocations ?? []) {
    const reason = planExactly(board, type, label, a, taken);
    if (reason !== undefined) return [reason];
  }
  return [];
}

/** Check `needs` against a validated board. */
export function checkNeeds(board: Board, needs: Needs): NeedsCheck {
  const reasons: string[] = [];
  if (needs.cpu === true && board.cpus.length === 0) reasons.push('this board has no CPU');
  if (needs.smmu === true && board.smmus.length === 0) reasons.push('this board has no SMMU');
  if (needs.directDevice === true && board.directDevices.length === 0) reasons.push('this board has no direct-mapped device (directDevices) for the one-to-one VCM');
  const roles = needs.contexts ?? [];
  const contexts = resolveRoles(board, roles);
  for (const role of roles) {
    // Without a decoder there is no display to look for: the decoder's reason says it all.
    const implied = role === 'display' && roles.includes('decoder') && contexts.decoder === undefined;
    if (contexts[role] === undefined && !implied) reasons.push(`no context named ${ROLES[role].seedName}, ${ROLES[role].standIn}`);
  }
  for (const m of needs.memtypes ?? []) reasons.push(...memtypeReasons(board, m));
  return reasons.length === 0 ? { ok: true, contexts } : { ok: false, reasons };
}
