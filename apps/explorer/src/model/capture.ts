/**
 * Reads a live platform into a `StepState` (plain data). Everything comes
 * from the libraries' own views: `vcmm.snapshot()`, `@vcm/scenario`'s
 * `dumpPageTables` (the tables each device's registers reach, the way
 * `vcm-ref dump` prints them), the translation caches' own counters
 * (`smmu.caches`), `tlb.entries()`, `allocator.stats()`.
 */
import type { Platform } from '@vcm/devtree';
import { dumpPageTables } from '@vcm/scenario';
import type { DumpTarget, PageTableDump, ScenarioSetUp } from '@vcm/scenario';
import type { Smmu } from '@vcm/smmu';
import type { CacheCounters, ContextState, CpuState, DeviceState, StepState, TablesDump, TlbState } from './state.js';

/**
 * The set-up `dumpPageTables` labels ranges from. A scenario has its own
 * (buffers by name); a walk-through's spaces are its VCMs, each placed
 * reservation labelled by its id, as the mapping graph names it.
 */
export function setUpOf(platform: Platform): ScenarioSetUp {
  const spaces = platform.vcmm.snapshot().vcms.map((vcm) => ({
    name: `VCM #${vcm.id}`,
    kind: 'device' as const,
    devices: vcm.associations.map((a) => a.dev),
    reservations: vcm.reservations.flatMap((r) => (r.devAddr === null ? [] : [{ buffer: 'reservation ', instance: r.id, devAddr: r.devAddr, len: r.len }])),
  }));
  return { platform, spaces };
}

function dumpOf(setUp: ScenarioSetUp, target: DumpTarget): TablesDump {
  const { tables, oracle: _oracle, ...rest }: PageTableDump = dumpPageTables(setUp, target);
  return { ...rest, tables: tables.map((t) => ({ base: t.base, level: t.level, pa: t.pa, va: t.va, bytes: t.bytes.length })) };
}

function contexts(setUp: ScenarioSetUp): ContextState[] {
  const out: ContextState[] = [];
  for (const smmu of Object.values(setUp.platform.smmus)) {
    for (const ctx of smmu.contexts) {
      const active = ctx.isActive;
      out.push({ name: ctx.name, smmu: smmu.name, format: smmu.format.name, active, dump: active ? dumpOf(setUp, { kind: 'context', name: ctx.name }) : undefined });
    }
  }
  return out;
}

function cpuState(setUp: ScenarioSetUp): CpuState {
  const dump = dumpOf(setUp, { kind: 'cpu' });
  return { name: setUp.platform.cpu.name, format: dump.format, dump };
}

const counters = (name: string, s: { capacity: number; entries: number; lookups: number; hits: number; misses: number; evictions: number }): CacheCounters => ({
  name,
  capacity: s.capacity,
  entries: s.entries,
  lookups: s.lookups,
  hits: s.hits,
  misses: s.misses,
  evictions: s.evictions,
});

/** An SMMU's translation caches from its snapshot (`smmu.toJSON()`): what is on of each bank's micro-TLB, the main TLB, the walk cache. */
function smmuTlb(smmu: Smmu): TlbState {
  const snap = smmu.toJSON();
  const { caches } = snap;
  const list: CacheCounters[] = [];
  // The micro-TLBs are all on or all off: while on, the snapshot's list is indexed by bank.
  caches.microTlbs.forEach((t, bank) => list.push(counters(`micro-TLB, bank ${bank}`, t.stats)));
  if (caches.config.mainTlb.enabled) list.push(counters('main TLB', snap.tlb.stats));
  if (caches.walkCache !== null) list.push(counters('walk cache', caches.walkCache.stats));
  return { name: smmu.name, stats: snap.tlb.stats, entries: snap.tlb.entries, caches: list, events: { ...caches.events } };
}

function tlbs(platform: Platform): TlbState[] {
  const out: TlbState[] = Object.values(platform.smmus).map(smmuTlb);
  const cpu = platform.cpu.tlb.stats();
  out.push({ name: platform.cpu.name, stats: cpu, entries: platform.cpu.tlb.entries(), caches: [counters('TLB', cpu)], events: null });
  return out;
}

function devices(platform: Platform): DeviceState[] {
  const out: DeviceState[] = [];
  for (const smmu of Object.values(platform.smmus)) for (const ctx of smmu.contexts) out.push({ name: ctx.name, kind: 'context', smmu: smmu.name });
  out.push({ name: platform.cpu.name, kind: 'cpu', smmu: null });
  for (const name of Object.keys(platform.directDevices)) out.push({ name, kind: 'direct', smmu: null });
  return out;
}

/** The platform after a step; `setUp` names the ranges of its page tables (default: its VCMs' reservations). */
export function captureState(platform: Platform, setUp: ScenarioSetUp = setUpOf(platform)): StepState {
  const stats = platform.allocator.stats();
  return {
    graph: platform.vcmm.snapshot(),
    devices: devices(platform),
    contexts: contexts(setUp),
    cpu: cpuState(setUp),
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
