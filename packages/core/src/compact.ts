/**
 * Policies built on migration (docs/migration.md#compaction-and-evacuation):
 *  - compaction moves movable allocations of a memtype's contiguous region
 *    down into lower holes until a `VCM_PHYS_CONT` request of a given length
 *    fits — the job of Linux's memory compaction for CMA;
 *  - evacuation moves every movable allocation out of one RAM bank (SMI →
 *    EBI before SMI is powered down) and says what could not move and why.
 * Each move is a whole migration: all or nothing, device addresses kept.
 */
import { PHYS_ATTR_BITS } from './attributes.js';
import { SZ_4K, VCM_PHYS_CONT } from './constants.js';
import { VcmError, formatSize, hex, isVcmError } from './errors.js';
import type { Graph } from './graph.js';
import type { MemoryBank, PhysChunk } from './memory.js';
import { type MigrationReport, movePhysmem, unmovable } from './migrate.js';
import type { Physmem } from './physmem.js';
import { checkAttr, checkLength, checkOptions, checkUint } from './validate.js';

/** An allocation a policy left where it is, and why. */
export interface Unmoved {
  readonly physmem: Physmem;
  /** `EBUSY` (pinned, one-to-one), `EINVAL` (a `vcm_map_phys_addr` wrapper) or `ENOMEM` (no memory could take it). */
  readonly code: string;
  readonly reason: string;
}

/** `vcmm.compact(memtype, { contiguous })`. */
export interface CompactOptions {
  /** The length of the `VCM_PHYS_CONT` request to make room for (a multiple of 4 KiB). */
  readonly contiguous: number;
  /** That request's physical-allocation attribute (its alignment field counts); `VCM_PHYS_CONT` is implied. */
  readonly attr?: number;
}

/** What `vcmm.compact` did. */
export interface CompactionReport {
  readonly memtype: number;
  readonly contiguous: number;
  /** True when a `VCM_PHYS_CONT` request of that length now fits (it may have fitted before: then nothing moved). */
  readonly satisfied: boolean;
  /** The moves, in order. */
  readonly moved: readonly MigrationReport[];
  /** Allocations in the region that could not move. */
  readonly unmovable: readonly Unmoved[];
}

/** `vcmm.evacuate(bankName, options)`. */
export interface EvacuateOptions {
  /** The one memory type to move to; by default the first of the board's that takes an allocation whole outside the bank. */
  readonly memtype?: number;
}

/** What `vcmm.evacuate` did. */
export interface EvacuationReport {
  readonly bank: string;
  readonly moved: readonly MigrationReport[];
  /** What is still in the bank, and why. */
  readonly unmovable: readonly Unmoved[];
}

function inside(chunks: readonly PhysChunk[], pa: number, len: number): boolean {
  return chunks.every((c) => c.pa >= pa && c.pa + c.len <= pa + len);
}

function overlapsBank(chunks: readonly PhysChunk[], bank: MemoryBank): boolean {
  return chunks.some((c) => c.pa < bank.base + bank.size && bank.base < c.pa + c.len);
}

function unmoved(pm: Physmem, e: VcmError): Unmoved {
  return { physmem: pm, code: e.code, reason: e.message.replace(/^[A-Z]+: [^:]+: /, '') };
}

/**
 * `vcmm.compact`: until a `VCM_PHYS_CONT` allocation of `options.contiguous`
 * bytes fits in `memtype`'s contiguous region, slide allocations down: the
 * lowest movable allocation of the region that can go lower moves into the
 * lowest hole that takes it (the allocator places a contiguous request at
 * the lowest fit), so the allocations pack towards the region's base and the
 * free space gathers above them. Stops when the request fits or nothing can
 * go lower; never moves anything when it already fits.
 */
export function compact(g: Graph, memtype: unknown, options: unknown, checkMemtype: (where: string, memtype: number) => void): CompactionReport {
  const where = 'vcmm.compact';
  g.checkAlive(where);
  const m = checkUint(where, 'memtype', memtype);
  checkMemtype(where, m);
  const o = checkOptions(where, 'options', options, ['contiguous', 'attr'], '{ contiguous, attr? }');
  const len = checkLength(where, 'options.contiguous', o['contiguous'], SZ_4K);
  const attr = (o['attr'] === undefined ? 0 : checkAttr(where, 'options.attr', o['attr'], PHYS_ATTR_BITS)) | VCM_PHYS_CONT;
  const region = g.allocator.contiguousRegion(m);
  if (region === undefined) throw new VcmError('ENOENT', `${where}: memtype ${m} has no contiguous region to compact`, { memtype: m });
  if (len > region.len) {
    throw new VcmError('EINVAL', `${where}: options.contiguous ${formatSize(len)} is more than memtype ${m}'s whole contiguous region (${formatSize(region.len)} at ${hex(region.pa)})`, {
      param: 'options.contiguous',
      value: len,
      regionLen: region.len,
    });
  }
  const fits = (): boolean => {
    try {
      g.allocator.free(g.allocator.allocate(m, len, attr));
      return true;
    } catch (e) {
      if (isVcmError(e, 'ENOMEM')) return false;
      throw e;
    }
  };
  const moved: MigrationReport[] = [];
  const blocked = new Map<Physmem, Unmoved>();
  let satisfied = fits();
  while (!satisfied) {
    const inRegion = [...(g.physmems as Set<Physmem>)].filter((pm) => !pm.isMapped && inside(pm._chunks, region.pa, region.len)).sort((a, b) => a._chunks[0]!.pa - b._chunks[0]!.pa);
    let progressed = false;
    for (const pm of inRegion) {
      const refusal = unmovable(where, pm);
      if (refusal) {
        blocked.set(pm, unmoved(pm, refusal));
        continue;
      }
      const start = pm._chunks[0]!.pa;
      let report: MigrationReport | undefined;
      try {
        report = movePhysmem(g, where, pm, { memtype: pm.memtype, attr: pm.attr, onAccess: 'stall', during: undefined }, (chunks) => chunks[0]!.pa < start && inside(chunks, region.pa, region.len));
      } catch (e) {
        if (!isVcmError(e, 'ENOMEM')) throw e;
      }
      if (report !== undefined) {
        moved.push(report);
        blocked.delete(pm);
        progressed = true;
        break;
      }
    }
    if (!progressed) break;
    satisfied = fits();
  }
  return { memtype: m, contiguous: len, satisfied, moved, unmovable: [...blocked.values()].sort((a, b) => a.physmem.id - b.physmem.id) };
}

/**
 * `vcmm.evacuate`: move every movable allocation with memory in RAM bank
 * `bankName` to memory outside it — of `options.memtype`, or of the first
 * memory type (in the board's order) that can take it whole. Reports what
 * moved and what could not, with the reason (pinned, one-to-one, a
 * `vcm_map_phys_addr` wrapper, no room elsewhere).
 */
export function evacuate(g: Graph, bankName: unknown, options: unknown, checkMemtype: (where: string, memtype: number) => void): EvacuationReport {
  const where = 'vcmm.evacuate';
  g.checkAlive(where);
  const banks = g.memory.banks;
  const bank = typeof bankName === 'string' ? banks.find((b) => b.name === bankName) : undefined;
  if (bank === undefined) {
    throw new VcmError('EINVAL', `${where}: bankName must name a RAM bank of this system (${banks.map((b) => `"${b.name}"`).join(', ')}), got ${typeof bankName === 'string' ? JSON.stringify(bankName) : bankName === null ? 'null' : typeof bankName}`, {
      param: 'bankName',
      expected: banks.map((b) => b.name),
    });
  }
  const o = options === undefined ? {} : checkOptions(where, 'options', options, ['memtype'], '{ memtype? }');
  let targets: readonly number[] = g.allocator.memtypes;
  if (o['memtype'] !== undefined) {
    const t = checkUint(where, 'options.memtype', o['memtype']);
    checkMemtype(where, t);
    targets = [t];
  }
  const moved: MigrationReport[] = [];
  const left: Unmoved[] = [];
  const here = [...(g.physmems as Set<Physmem>)].filter((pm) => overlapsBank(pm._chunks, bank));
  for (const pm of here) {
    const refusal = unmovable(where, pm);
    if (refusal) {
      left.push(unmoved(pm, refusal));
      continue;
    }
    let report: MigrationReport | undefined;
    let last: VcmError | undefined;
    for (const t of targets) {
      try {
        report = movePhysmem(g, where, pm, { memtype: t, attr: pm.attr, onAccess: 'stall', during: undefined }, (chunks) => !overlapsBank(chunks, bank));
      } catch (e) {
        if (!isVcmError(e, 'ENOMEM') && !isVcmError(e, 'EINVAL')) throw e;
        last = e;
      }
      if (report !== undefined) break;
    }
    if (report !== undefined) moved.push(report);
    else {
      left.push({
        physmem: pm,
        code: 'ENOMEM',
        reason: `no memory type (${targets.join(', ')}) could take ${formatSize(pm.len)} outside ${bank.name}${last === undefined ? '' : ` (last answer: ${last.message})`}`,
      });
    }
  }
  return { bank: bank.name, moved, unmovable: left };
}
