/**
 * Reads a live platform into a `StepState` (plain data). Everything comes
 * from the libraries' own views: `vcmm.snapshot()`, `ctx.toJSON()`,
 * `ctx.registers.fields()`, `ctx.dumpTables()`, `tlb.entries()`,
 * `allocator.stats()`; the CPU's mappings are found the way ptdump finds
 * them, by walking its page tables (`cpu.walk`) over the linear map and
 * every reservation the CPU's VCMs placed.
 */
import type { Platform } from '@vcm/devtree';
import type { DumpEntry } from '@vcm/smmu';
import type { ContextState, CpuState, DeviceState, Leaf, StepState, TlbState } from './state.js';

function leafOf(e: DumpEntry): Leaf {
  return { va: e.va, size: e.size, pa: e.pa, level: e.level, descriptor: e.descriptor, descriptorHigh: e.descriptorHigh, prot: e.prot };
}

function contexts(platform: Platform): ContextState[] {
  const out: ContextState[] = [];
  for (const smmu of Object.values(platform.smmus)) {
    for (const ctx of smmu.contexts) {
      const json = ctx.toJSON();
      let tables: ContextState['tables'] = [];
      try {
        tables = ctx.dumpTables().map((t) => ({ base: t.base, format: t.format, rootPa: t.rootPa, tableBytes: t.tableBytes, leaves: t.levels.flatMap((l) => l.entries.map(leafOf)).sort((a, b) => a.va - b.va) }));
      } catch {
        // A context that was never initialised has no tables to list.
      }
      out.push({ name: ctx.name, smmu: smmu.name, format: smmu.format.name, active: json.active, registers: json.registers, fields: ctx.registers.fields(), tables });
    }
  }
  return out;
}

/** The [va, va + len) ranges whose CPU mappings a ptdump of the CPU lists: the linear map, then every placed reservation of a prebuilt (CPU) VCM. */
export function cpuRanges(platform: Platform): { va: number; len: number }[] {
  const ranges = platform.vmm.layout.linearMap.map((r) => ({ va: r.va, len: r.size }));
  for (const vcm of platform.vcmm.snapshot().vcms) {
    if (vcm.type !== 'ext-kernel' && vcm.type !== 'ext-user') continue;
    for (const r of vcm.reservations) if (r.devAddr !== null) ranges.push({ va: r.devAddr, len: r.len });
  }
  return ranges;
}

function cpuLeaves(platform: Platform): Leaf[] {
  const { cpu } = platform;
  const seen = new Map<number, Leaf>();
  for (const { va, len } of cpuRanges(platform)) {
    for (let at = va; at < va + len; ) {
      const w = cpu.walk(at);
      const leaf = w.leaf;
      if (leaf === undefined) {
        at += 4096; // unmapped page inside a reservation (not backed yet): the next page may be mapped
        continue;
      }
      const size = leaf.size;
      if (!seen.has(leaf.va)) seen.set(leaf.va, { va: leaf.va, size, pa: leaf.base, level: leaf.level, descriptor: leaf.descriptor, descriptorHigh: leaf.descriptorHigh, prot: leaf.prot });
      at = leaf.va + size;
    }
  }
  return [...seen.values()].sort((a, b) => a.va - b.va);
}

function cpuState(platform: Platform): CpuState {
  const { cpu } = platform;
  const json = cpu.toJSON() as { registers?: { words?: Record<string, string> } };
  return { name: cpu.name, format: 'armV7Short', registers: json.registers?.words ?? {}, leaves: cpuLeaves(platform) };
}

/** Numeric counters of an SMMU's further translation caches, when its model has them (`smmu.caches.stats()`). */
function cacheCounters(owner: object): TlbState['caches'] {
  const caches = (owner as { caches?: { stats?: () => unknown } }).caches;
  if (caches === undefined || typeof caches.stats !== 'function') return {};
  const stats = caches.stats();
  const out: Record<string, Record<string, number>> = {};
  if (typeof stats !== 'object' || stats === null) return out;
  for (const [name, value] of Object.entries(stats)) {
    if (typeof value !== 'object' || value === null) continue;
    const counters: Record<string, number> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (typeof v === 'number') counters[k] = v;
    out[name] = counters;
  }
  return out;
}

function tlbs(platform: Platform): TlbState[] {
  const out: TlbState[] = Object.values(platform.smmus).map((s) => ({ name: s.name, stats: s.tlb.stats(), entries: s.tlb.entries(), caches: cacheCounters(s) }));
  out.push({ name: platform.cpu.name, stats: platform.cpu.tlb.stats(), entries: platform.cpu.tlb.entries(), caches: {} });
  return out;
}

function devices(platform: Platform): DeviceState[] {
  const out: DeviceState[] = [];
  for (const smmu of Object.values(platform.smmus)) for (const ctx of smmu.contexts) out.push({ name: ctx.name, kind: 'context', smmu: smmu.name });
  out.push({ name: platform.cpu.name, kind: 'cpu', smmu: null });
  for (const name of Object.keys(platform.directDevices)) out.push({ name, kind: 'direct', smmu: null });
  return out;
}

export function captureState(platform: Platform): StepState {
  const stats = platform.allocator.stats();
  return {
    graph: platform.vcmm.snapshot(),
    devices: devices(platform),
    contexts: contexts(platform),
    cpu: cpuState(platform),
    tlbs: tlbs(platform),
    phys: {
      banks: platform.board.memory.banks.map((b) => ({ name: b.name, base: b.base, size: b.size })),
      pools: stats.pools,
      contiguous: stats.contiguousPools,
      tables: stats.tables,
      memtypes: stats.memtypes,
    },
  };
}
