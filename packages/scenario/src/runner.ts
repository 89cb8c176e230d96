/**
 * The runner (docs/scenarios.md#the-runner): a checked scenario executed for
 * real on `buildPlatform(board)` — `vcm_phys_alloc` for every buffer,
 * `vcm_create`/`vcm_create_from_prebuilt`, `vcm_assoc` and `vcm_activate`
 * for every space, `vcm_reserve`/`vcm_back` for every mapping, then the
 * traffic: SMMU contexts through `ctx.dma` (the TLB, the walk, the
 * permission check), the CPU through its MMU, direct-mapped devices on the
 * bus. It reports what the hardware counted and then evaluates `expect`.
 * Everything is deterministic: the same scenario gives the same report.
 */
import {
  VCM_1MB,
  VCM_4KB,
  VCM_64KB,
  VCM_ALL,
  VCM_EXECUTE,
  VCM_NOTCACHED,
  VCM_PHYS_CONT,
  VCM_PREBUILT_KERNEL,
  VCM_PREBUILT_USER,
  VCM_READ,
  VCM_START,
  VCM_USE_HIGH_BASE,
  VCM_USE_LOW_BASE,
  VCM_WB_NWA,
  VCM_WB_WA,
  VCM_WRITE,
  VCM_WT,
  VcmError,
  isVcmError,
  vcmAlignAttr,
  vcmPhysAlignAttr,
  vcmSplitAttr,
} from '@vcm/core';
import type { Device, Physmem, Reservation, Vcm } from '@vcm/core';
import { buildPlatform } from '@vcm/devtree';
import type { Platform } from '@vcm/devtree';
import type { AccessObserver, PmuEvents, SmmuContext } from '@vcm/smmu';
import type { MappingSpec, Scenario, SpaceSpec, TrafficSpec } from './definition.js';
import { scenarioError } from './issues.js';
import { SeededFrames, deriveBytes, fnv1a, fnv1aPair, frameSeed } from './data.js';
import { forEachRun, patternOf } from './patterns.js';
import { boardDevices, spaceDevices, spaceFor } from './rules.js';
import type { BufferPlan } from './rules.js';
import type { CheckedScenario } from './validate.js';
import { DeviceTally, smmuTotals } from './timing.js';
import type { DeviceCaches, DeviceTiming, SmmuTotals } from './timing.js';

/** TLB counters of one device, or of one traffic entry. */
export interface Counters {
  accesses: number;
  bytes: number;
  hits: number;
  misses: number;
  walks: number;
  faults: number;
  /** Cycles its streams took on timed SMMUs (0 where the translation caches are untimed). */
  cycles: number;
  /** Cycles of those its data port waited for translations. */
  stallCycles: number;
}

/** Counters as reported: `cycles` and `stallCycles` only where a timed SMMU counted some. */
export type CountersOut = Readonly<Omit<Counters, 'cycles' | 'stallCycles'>> & { readonly cycles?: number; readonly stallCycles?: number };

function countersOut(c: Counters): CountersOut {
  const { cycles, stallCycles, ...counts } = c;
  return cycles === 0 && stallCycles === 0 ? counts : { ...counts, cycles, stallCycles };
}

/** What the runner reports (docs/scenarios.md#the-runner). */
export interface ScenarioReport {
  readonly scenario: string;
  readonly board: string;
  readonly seed: number;
  /** Simulated time the frames span: the last frame's start plus one frame period (0 without frame rates). */
  readonly simulatedSeconds: number;
  readonly buffers: readonly {
    readonly name: string;
    readonly instance: number;
    readonly memtype: number;
    readonly bytes: number;
    readonly allocBytes: number;
    readonly contiguous: boolean;
    readonly chunks: readonly { readonly pa: number; readonly len: number }[];
  }[];
  readonly spaces: readonly {
    readonly name: string;
    readonly kind: SpaceSpec['kind'];
    readonly start: number;
    readonly len: number;
    readonly devices: readonly string[];
    /** Bytes of page tables the space's translations occupy (device spaces: every table loaded for its contexts; null for the CPU's shared tables). */
    readonly pageTableBytes: number | null;
    readonly reservations: readonly { readonly buffer: string; readonly instance: number; readonly devAddr: number; readonly len: number }[];
  }[];
  readonly devices: readonly ({
    readonly name: string;
    readonly kind: 'context' | 'cpu' | 'direct';
    readonly smmu: string | null;
    /** Contexts: what its streams did in each translation cache (docs/scenarios.md#timing). */
    readonly caches?: DeviceCaches;
    /** Contexts: the context's PMCG events at the end of the traffic. */
    readonly events?: PmuEvents;
    /** Contexts on a clocked SMMU: cycles, stalls, walk reads, the translation-time histogram, the slowest frame against its deadline. */
    readonly timing?: DeviceTiming;
  } & CountersOut)[];
  readonly traffic: readonly ({ readonly device: string; readonly buffers: readonly string[]; readonly access: 'read' | 'write'; readonly pattern: string; readonly frames: number } & CountersOut)[];
  readonly tlbs: readonly { readonly name: string; readonly entries: number; readonly policy: string; readonly hits: number; readonly misses: number; readonly walks: number; readonly evictions: number }[];
  /** Each used SMMU's translation caches summed over the run, and its PMCG events (docs/scenarios.md#timing). */
  readonly smmus: readonly SmmuTotals[];
  readonly pools: {
    readonly block: readonly { readonly name: string; readonly blockSize: number; readonly total: number; readonly inUse: number; readonly free: number }[];
    readonly contiguous: readonly { readonly name: string; readonly size: number; readonly inUseBytes: number; readonly largestFree: number; readonly freeExtents: number }[];
    readonly memtypes: readonly { readonly id: number; readonly name: string; readonly allocatedBytes: number; readonly freeBytes: number; readonly totalBytes: number }[];
    readonly pageTableBytes: number;
  };
  /** fnv1a of every buffer a device read or wrote with `data`, per frame. */
  readonly checksums: readonly { readonly device: string; readonly buffer: string; readonly instance: number; readonly frame: number; readonly access: 'read' | 'write'; readonly fnv1a: number }[];
  readonly faults: readonly { readonly device: string; readonly buffer: string; readonly frame: number; readonly message: string }[];
  readonly expectations: readonly { readonly name: string; readonly kind: string; readonly ok: boolean; readonly expected: string; readonly actual: string }[];
  /** Every expectation held. */
  readonly ok: boolean;
}

/** Progress of a long run: `done` of `total` frames. */
export type Progress = (label: string, done: number, total: number) => void;

/** Options of `runScenario`. */
export interface RunOptions {
  readonly progress?: Progress;
  /** Called once the set-up is done (buffers allocated, spaces associated and activated, mappings backed), before any traffic (`vcm-ref dump`, `walk`). */
  readonly onSetUp?: (setUp: ScenarioSetUp) => void;
  /** `false`: set the scenario up and run no traffic (every counter stays 0). Default `true`. */
  readonly traffic?: boolean;
  /**
   * Sees every physical memory access of streamed traffic in the order it
   * happens — each burst and each descriptor read of a walk (`vcm-ref
   * trace`, docs/scenarios.md#memory-traces) — with its cycle on a timed
   * SMMU (the device's clock from the run's start; a frame with `fps`
   * starts no earlier than its time), else `null`.
   */
  readonly onAccess?: MemoryAccessObserver;
}

/** `RunOptions.onAccess`: the device, the physical address, the bytes, write or read, a walk's descriptor read or data, the cycle (null when untimed). */
export type MemoryAccessObserver = (device: string, pa: number, bytes: number, write: boolean, walk: boolean, cycle: number | null) => void;

/** Where a traced device's clock stands: cycles of its streams so far, or a later frame's start; `hz` its SMMU's clock (0: untimed). */
interface TraceClock {
  cycle: number;
  hz: number;
}

/** One reservation the set-up made: which buffer instance, at which device address. */
export interface PlacedReservation {
  readonly buffer: string;
  readonly instance: number;
  readonly devAddr: number;
  readonly len: number;
}

/** What `RunOptions.onSetUp` is given: the platform, and every space with its devices and reservations. */
export interface ScenarioSetUp {
  readonly platform: Platform;
  readonly spaces: readonly { readonly name: string; readonly kind: SpaceSpec['kind']; readonly devices: readonly string[]; readonly reservations: readonly PlacedReservation[] }[];
}

const PAGE_BITS: Readonly<Record<string, number>> = { all: VCM_ALL, '1M': VCM_1MB, '64K': VCM_64KB, '4K': VCM_4KB };
const CACHE_BITS: Readonly<Record<string, number>> = { uncached: VCM_NOTCACHED, 'wb-wa': VCM_WB_WA, 'wb-nwa': VCM_WB_NWA, wt: VCM_WT };
const ACCESS: Readonly<Record<string, number>> = { read: VCM_READ, write: VCM_WRITE, execute: VCM_EXECUTE };

function zero(): Counters {
  return { accesses: 0, bytes: 0, hits: 0, misses: 0, walks: 0, faults: 0, cycles: 0, stallCycles: 0 };
}

function add(to: Counters, from: Readonly<Counters>): void {
  to.accesses += from.accesses;
  to.bytes += from.bytes;
  to.hits += from.hits;
  to.misses += from.misses;
  to.walks += from.walks;
  to.faults += from.faults;
  to.cycles += from.cycles;
  to.stallCycles += from.stallCycles;
}

/** How one device reaches memory: the moves the runner needs, whatever the device is. */
interface Port {
  readonly kind: 'context' | 'cpu' | 'direct';
  readonly smmu: string | null;
  /** Replay the address pattern of `len` bytes at `va` in bursts of `options.burst`, adding what it did to `into` (nothing is allocated per burst). */
  stream(va: number, len: number, options: { readonly burst: number; readonly access: 'read' | 'write' }, into: Counters): void;
  /** Move real bytes; `traced`: a traffic transfer, whose accesses go to `RunOptions.onAccess` (checks' reads are not traffic). */
  read(va: number, len: number, traced?: boolean): Uint8Array;
  write(va: number, bytes: Uint8Array, traced?: boolean): void;
  /** The translation cache's counters now (zeros for a device without one). */
  tlb(): { hits: number; misses: number; walks: number };
  /** Contexts: what its streams and transfers cost, beyond the counters (docs/scenarios.md#timing). */
  readonly tally?: DeviceTally;
  /** Contexts: the context's PMCG events now. */
  events?(): PmuEvents;
  /** Contexts: the SMMU's clock in MHz (0: untimed). */
  readonly clockMHz?: number;
}

function tlbCounters(t: { hits: number; misses: number; walks: number }): { hits: number; misses: number; walks: number } {
  return { hits: t.hits, misses: t.misses, walks: t.walks };
}

function portOf(platform: Platform, name: string, contexts: ReadonlySet<string>, observe?: MemoryAccessObserver, clock?: TraceClock): Port {
  if (contexts.has(name)) {
    const ctx: SmmuContext = platform.tree.getCtxInstance(name);
    // Timing is present when the SMMU has a clock: its cycles then mean something to a DRAM simulator.
    const clockMHz = ctx.smmu.cacheConfig.timing.clockMHz;
    const timed = clockMHz > 0;
    const tally = new DeviceTally();
    if (clock !== undefined) clock.hz = clockMHz * 1e6;
    // The SMMU's observer gives cycles from the stream's start; the device's clock places the stream.
    const onAccess: AccessObserver | undefined =
      observe === undefined ? undefined : (pa, bytes, write, walk, cycle) => observe(name, pa, bytes, write, walk, timed ? clock!.cycle + cycle : null);
    return {
      kind: 'context',
      smmu: ctx.smmu.name,
      tally,
      clockMHz,
      events: () => ctx.events(),
      stream(va, len, options, into) {
        const r = ctx.dma.stream(va, len, onAccess === undefined ? options : { ...options, onAccess });
        if (clock !== undefined) clock.cycle += r.cycles;
        into.accesses += r.accesses;
        into.bytes += len;
        into.hits += r.hits;
        into.misses += r.misses;
        into.walks += r.walks;
        // 0 on an SMMU whose translation caches are untimed.
        into.cycles += r.cycles;
        into.stallCycles += r.stallCycles;
        tally.addStream(r);
      },
      // A traced transfer: its pieces and walk reads, then the device's clock moves on by its cycles.
      read(va, len, traced) {
        if (onAccess === undefined || traced !== true) return ctx.dma.read(va, len);
        const cycles = ctx.events().cycles;
        try {
          return ctx.dma.read(va, len, { onAccess });
        } finally {
          clock!.cycle += ctx.events().cycles - cycles;
        }
      },
      write(va, bytes, traced) {
        if (onAccess === undefined || traced !== true) return ctx.dma.write(va, bytes);
        const cycles = ctx.events().cycles;
        try {
          ctx.dma.write(va, bytes, { onAccess });
        } finally {
          clock!.cycle += ctx.events().cycles - cycles;
        }
      },
      tlb: () => tlbCounters(ctx.smmu.tlb.stats()),
    };
  }
  const cpu = platform.cpu;
  if (name === cpu.name) {
    const tlb = cpu.tlb;
    // A traced transfer of the CPU, one TLB leaf at a time (the pieces cpu.read and cpu.write translate, so the
    // lookups and bytes are the same): a piece's walk reads when it missed, then its data (untimed).
    const cpuPieces = (va: number, len: number, move: (a: number, n: number) => void, write = false): void => {
      const end = va + len;
      for (let a = va; a < end; ) {
        const leaf = cpu.walk(a).leaf;
        const n = Math.min(leaf === undefined ? a - (a % 4096) + 4096 : leaf.va + leaf.size, end) - a;
        const missed = tlb.misses;
        move(a, n);
        const w = cpu.walk(a);
        if (tlb.misses !== missed) for (const s of w.steps) observe!(name, s.entryPa, 4, false, true, null);
        observe!(name, w.pa!, n, write, false, null);
        a += n;
      }
    };
    return {
      kind: 'cpu',
      smmu: null,
      // The CPU has no burst engine: each burst is one access through its MMU (TLB, walk, permission check).
      stream(va, len, { burst, access }, into) {
        const hits = tlb.hits;
        const misses = tlb.misses;
        const walks = tlb.walks;
        const end = va + len;
        let accesses = 0;
        try {
          for (let a = va; a < end; a += burst) {
            const missed = tlb.misses;
            const pa = cpu.translate(a, access);
            accesses++;
            if (observe !== undefined) {
              // The CPU is untimed; a miss walked its short-descriptor tables (4-byte descriptors), reading what cpu.walk reads (it has no walk cache).
              if (tlb.misses !== missed) for (const s of cpu.walk(a).steps) observe(name, s.entryPa, 4, false, true, null);
              observe(name, pa, Math.min(burst, end - a), access === 'write', false, null);
            }
          }
        } finally {
          into.accesses += accesses;
          into.bytes += Math.min(len, accesses * burst);
          into.hits += tlb.hits - hits;
          into.misses += tlb.misses - misses;
          into.walks += tlb.walks - walks;
        }
      },
      read(va, len, traced) {
        if (observe === undefined || traced !== true) return cpu.read(va, len);
        const out = new Uint8Array(len);
        cpuPieces(va, len, (a, n) => out.set(cpu.read(a, n), a - va));
        return out;
      },
      write(va, bytes, traced) {
        if (observe === undefined || traced !== true) return cpu.write(va, bytes);
        cpuPieces(va, bytes.length, (a, n) => cpu.write(a, bytes.subarray(a - va, a - va + n)), true);
      },
      tlb: () => tlbCounters(tlb.stats()),
    };
  }
  // A direct-mapped device: its device address is the physical address (the VCMM's one-to-one "walk" says it is mapped).
  const dev: Device = platform.device(name);
  const pa = (va: number): number => platform.vcmm.devAddrToPhysAddr(dev, va);
  // A direct device's transfer, one access per 4 KiB piece (as the runner counts it), untimed.
  const directPieces = (va: number, len: number, write: boolean): void => {
    if (observe === undefined) return;
    for (let a = va; a < va + len; a = a - (a % 4096) + 4096) observe(name, pa(a), Math.min(a - (a % 4096) + 4096, va + len) - a, write, false, null);
  };
  return {
    kind: 'direct',
    smmu: null,
    stream(va, len, { burst, access }, into) {
      pa(va);
      if (observe !== undefined) for (let a = va; a < va + len; a += burst) observe(name, pa(a), Math.min(burst, va + len - a), access === 'write', false, null);
      into.accesses += Math.ceil(len / burst);
      into.bytes += len;
    },
    read(va, len, traced) {
      const out = platform.memory.read(pa(va), len);
      if (traced === true) directPieces(va, len, false);
      return out;
    },
    write(va, bytes, traced) {
      platform.memory.write(pa(va), bytes);
      if (traced === true) directPieces(va, bytes.length, true);
    },
    tlb: () => ({ hits: 0, misses: 0, walks: 0 }),
  };
}

function physAttr(plan: BufferPlan): number {
  let attr = plan.spec.contiguous ? VCM_PHYS_CONT : 0;
  if (!plan.spec.contiguous) for (const p of plan.spec.pages) attr |= PAGE_BITS[p]!;
  if (plan.spec.align !== undefined) attr |= vcmPhysAlignAttr(plan.spec.align);
  return attr;
}

function resAttr(m: MappingSpec): number {
  let attr = 0;
  for (const a of m.access) attr |= ACCESS[a]!;
  if (m.cache !== undefined) attr |= CACHE_BITS[m.cache]!;
  if (m.align !== undefined) attr |= vcmAlignAttr(Math.log2(m.align));
  return attr;
}

/** A failure of the platform while setting the scenario up (out of memory, no room in a space): the scenario's fault, reported at its path. */
function setupError(path: string, value: unknown, e: unknown): never {
  if (isVcmError(e)) throw scenarioError(path, value, `was refused by the platform: ${e.code} ${e.message}`, 'a scenario the board can hold');
  throw e;
}

/** The frames of every traffic entry in the order they run. */
function schedule(scenario: Scenario): { t: number; frame: number; time: number }[] {
  const events: { t: number; frame: number; time: number }[] = [];
  scenario.traffic.forEach((t, i) => {
    const frames = framesOf(scenario, t);
    for (let f = 0; f < frames; f++) events.push({ t: i, frame: f, time: t.fps === undefined ? f : f / t.fps });
  });
  if (scenario.interleave === 'time') events.sort((a, b) => a.time - b.time || a.t - b.t || a.frame - b.frame);
  return events;
}

/** Frames of a traffic entry: its own count, or duration × fps, or 1. */
export function framesOf(scenario: Scenario, t: TrafficSpec): number {
  if (t.frames !== undefined) return t.frames;
  if (scenario.duration !== undefined && t.fps !== undefined) return Math.max(1, Math.round(scenario.duration * t.fps));
  return 1;
}

/** Run a checked scenario (not its sweep: see `runSweep`) and report. */
export function runScenario(checked: CheckedScenario, options: RunOptions = {}): ScenarioReport {
  const { scenario, buffers: plans } = checked;
  const platform = buildPlatform(checked.boardDescription);
  const { vcmm, vmm } = platform;
  const devices = boardDevices(platform.board);
  const contexts = new Set(devices.contexts);

  // ---- physical buffers ----
  const physmems = new Map<string, Physmem[]>();
  plans.forEach((plan, i) => {
    const list: Physmem[] = [];
    for (let k = 0; k < plan.spec.count; k++) {
      try {
        list.push(vcmm.physAlloc(plan.memtype, plan.allocBytes, physAttr(plan)));
      } catch (e) {
        setupError(`buffers[${i}]`, plan.spec.name, e);
      }
    }
    physmems.set(plan.spec.name, list);
  });

  // ---- spaces and their associations ----
  const vcms = new Map<string, Vcm>();
  scenario.spaces.forEach((s, i) => {
    const at = `spaces[${i}]`;
    try {
      let vcm: Vcm;
      if (s.kind === 'device') vcm = vcmm.create(s.start!, s.len!);
      else if (s.kind === 'kernel') vcm = vcmm.createFromPrebuilt(VCM_PREBUILT_KERNEL);
      else if (s.kind === 'process') {
        vmm.switchTo(vmm.createProcess(s.process!));
        vcm = vcmm.createFromPrebuilt(VCM_PREBUILT_USER);
      } else {
        const memtype = platform.board.memory.memtypes.find((t) => t.id === s.memtype || t.name === s.memtype) ?? platform.board.memory.memtypes.find((t) => t.id === 1)!;
        vcm = vcmm.create(vcmm.contMemtypePa(memtype.id), vcmm.contMemtypeLen(memtype.id));
      }
      let attr = s.split === undefined ? 0 : vcmSplitAttr(s.split);
      if (s.base === 'low') attr |= VCM_USE_LOW_BASE;
      if (s.base === 'high') attr |= VCM_USE_HIGH_BASE;
      for (const d of spaceDevices(s, devices)) vcm.assoc(platform.device(d), s.kind === 'device' ? attr : 0).activate();
      vcms.set(s.name, vcm);
    } catch (e) {
      setupError(at, s.name, e);
    }
  });

  // ---- reservations, backed ----
  const reservations = new Map<string, Reservation[]>(); // key: space \0 buffer
  scenario.mappings.forEach((m, i) => {
    const vcm = vcms.get(m.space)!;
    const plan = plans.find((p) => p.spec.name === m.buffer)!;
    const list: Reservation[] = [];
    physmems.get(m.buffer)!.forEach((pm) => {
      try {
        const res = m.at === 'start' ? vcm.reserveAt(VCM_START, plan.allocBytes, resAttr(m)) : vcm.reserve(plan.allocBytes, resAttr(m));
        res.back(pm);
        list.push(res);
      } catch (e) {
        setupError(`mappings[${i}]`, m.buffer, e);
      }
    });
    reservations.set(`${m.space}\0${m.buffer}`, list);
  });

  const placed = (s: SpaceSpec): PlacedReservation[] =>
    scenario.mappings
      .filter((m) => m.space === s.name)
      .flatMap((m) => reservations.get(`${s.name}\0${m.buffer}`)!.map((r, instance) => ({ buffer: m.buffer, instance, devAddr: r.devAddr, len: r.len })));
  options.onSetUp?.({ platform, spaces: scenario.spaces.map((s) => ({ name: s.name, kind: s.kind, devices: spaceDevices(s, devices), reservations: placed(s) })) });

  // ---- traffic ----
  const ports = new Map<string, Port>();
  const clocks = new Map<string, TraceClock>();
  const clockOf = (name: string): TraceClock => {
    let c = clocks.get(name);
    if (c === undefined) clocks.set(name, (c = { cycle: 0, hz: 0 }));
    return c;
  };
  const port = (name: string): Port => {
    let p = ports.get(name);
    if (p === undefined) ports.set(name, (p = portOf(platform, name, contexts, options.onAccess, clockOf(name))));
    return p;
  };
  const perDevice = new Map<string, Counters>();
  const perTraffic = scenario.traffic.map(() => zero());
  const checksums: ScenarioReport['checksums'][number][] = [];
  const faults: ScenarioReport['faults'][number][] = [];
  const events = options.traffic === false ? [] : schedule(scenario);
  // Reads a later write derives its bytes from (data.from): the bytes of the latest such read, per device and buffer.
  const keepReads = new Set(scenario.traffic.flatMap((t) => (typeof t.data === 'object' && t.data.from !== undefined ? [`${t.device}\0${t.data.from}`] : [])));
  const lastRead = new Map<string, Uint8Array>();
  // Seeded bytes a write generates, per traffic entry and size: copied into RAM and checksummed, then not
  // needed; each entry's frames come in order, so they are filled and checksummed two frames at a time.
  const generated = new Map<string, SeededFrames>();
  const seeded = (entry: number, len: number, own: number | undefined): SeededFrames => {
    const key = `${entry}\0${len}`;
    let g = generated.get(key);
    if (g === undefined) generated.set(key, (g = new SeededFrames(len, framesOf(scenario, scenario.traffic[entry]!), (f) => frameSeed(scenario.seed, entry, f, own))));
    return g;
  };
  const readBefore = (device: string, buffer: string): Uint8Array => {
    const bytes = lastRead.get(`${device}\0${buffer}`);
    // Only when every read of it faulted: the write has nothing to derive from, which is that device's fault too.
    if (bytes === undefined) throw new VcmError('EFAULT', `${device}: no bytes of buffer "${buffer}" were read to derive the write from (the read faulted)`, { device, buffer });
    return bytes;
  };
  let lastTime = 0;
  events.forEach((ev, n) => {
    const t = scenario.traffic[ev.t]!;
    const p = port(t.device);
    const clock = clocks.get(t.device);
    if (options.onAccess !== undefined && t.fps !== undefined && clock !== undefined) clock.cycle = Math.max(clock.cycle, Math.round(ev.time * clock.hz));
    const counters = perDevice.get(t.device) ?? zero();
    perDevice.set(t.device, counters);
    if (t.fps !== undefined) lastTime = Math.max(lastTime, ev.time + 1 / t.fps);
    options.progress?.(`${t.device} frame ${ev.frame + 1}`, n, events.length);
    let frameCycles = 0;
    let frameBytes = 0;
    for (const b of t.buffers) {
      const plan = plans.find((x) => x.spec.name === b)!;
      const instance = ev.frame % plan.spec.count;
      const space = spaceFor(scenario, devices, t.device, b, t.space)[0]!;
      const va = reservations.get(`${space}\0${b}`)![instance]!.devAddr;
      const write = t.access === 'write';
      const got = zero();
      try {
        if (t.data) {
          // Real bytes: the counters are what the transfer itself did in the translation cache; a
          // transfer looks up one translation per page piece, so its accesses are those lookups.
          const before = p.tlb();
          const eventsBefore = p.events?.();
          let sum: number;
          if (write) {
            const source = typeof t.data === 'object' ? t.data : {};
            if (source.from === undefined) {
              const generatedFrame = seeded(ev.t, plan.bytes, source.seed).frame(ev.frame);
              p.write(va, generatedFrame.bytes, true);
              sum = generatedFrame.fnv1a;
            } else {
              const bytes = deriveBytes(readBefore(t.device, source.from), plan.bytes);
              p.write(va, bytes, true);
              sum = fnv1a(bytes);
            }
          } else {
            const bytes = p.read(va, plan.bytes, true);
            if (keepReads.has(`${t.device}\0${b}`)) lastRead.set(`${t.device}\0${b}`, bytes);
            sum = fnv1a(bytes);
          }
          const after = p.tlb();
          if (eventsBefore !== undefined) {
            // The transfer's cycles and walk reads, as the context's PMCG events counted them.
            const eventsAfter = p.events!();
            got.cycles += eventsAfter.cycles - eventsBefore.cycles;
            p.tally!.addTransfer(eventsBefore, eventsAfter);
          }
          // A direct device looks nothing up: one access per 4 KiB piece it moves.
          got.accesses += p.kind === 'direct' ? Math.ceil((va + plan.bytes) / 4096) - Math.floor(va / 4096) : after.hits + after.misses - before.hits - before.misses;
          got.bytes += plan.bytes;
          got.hits += after.hits - before.hits;
          got.misses += after.misses - before.misses;
          got.walks += after.walks - before.walks;
          checksums.push({ device: t.device, buffer: b, instance, frame: ev.frame, access: t.access, fnv1a: sum });
        } else {
          const row = t.row ?? plan.stride ?? 4096;
          const streamOptions = { burst: t.burst, access: t.access };
          forEachRun(patternOf(t), plan.bytes, row, t.burst, scenario.seed, (off, len) => p.stream(va + off, len, streamOptions, got));
        }
      } catch (e) {
        if (!isVcmError(e)) throw e;
        got.faults++;
        faults.push({ device: t.device, buffer: b, frame: ev.frame, message: `${e.code}: ${e.message}` });
      }
      add(counters, got);
      add(perTraffic[ev.t]!, got);
      frameCycles += got.cycles;
      frameBytes += got.bytes;
    }
    if (t.fps !== undefined) p.tally?.addFrame(ev.time, t.fps, frameCycles, frameBytes);
  });
  options.progress?.('done', events.length, events.length);

  // ---- what the hardware counted, before the expectations read anything ----
  const deviceRows: ScenarioReport['devices'] = [...perDevice].map(([name, c]) => {
    const p = port(name);
    const tally = p.tally;
    if (tally === undefined) return { name, kind: p.kind, smmu: p.smmu, ...countersOut(c) };
    const clocked = p.clockMHz! > 0 ? { timing: tally.timing(p.clockMHz!, c.cycles, c.stallCycles, c.bytes) } : {};
    return { name, kind: p.kind, smmu: p.smmu, ...countersOut(c), caches: tally.caches(), events: p.events!(), ...clocked };
  });
  const trafficRows = scenario.traffic.map((t, i) => ({
    device: t.device,
    buffers: [...t.buffers],
    access: t.access,
    pattern: patternOf(t).kind,
    frames: framesOf(scenario, t),
    ...countersOut(perTraffic[i]!),
  }));
  const usedSmmus = new Set(deviceRows.flatMap((d) => (d.smmu === null ? [] : [d.smmu])));
  const tlbs = [
    ...Object.values(platform.smmus)
      .filter((s) => usedSmmus.has(s.name))
      .map((s) => {
        const st = s.tlb.stats();
        return { name: s.name, entries: st.capacity, policy: st.policy, hits: st.hits, misses: st.misses, walks: st.walks, evictions: st.evictions };
      }),
    ...(perDevice.has(platform.cpu.name)
      ? [(() => {
          const st = platform.cpu.tlb.stats();
          return { name: platform.cpu.name, entries: st.capacity, policy: st.policy, hits: st.hits, misses: st.misses, walks: st.walks, evictions: st.evictions };
        })()]
      : []),
  ];
  const smmuRows = Object.values(platform.smmus)
    .filter((s) => usedSmmus.has(s.name))
    .map((s) => smmuTotals(s));
  const stats = platform.allocator.stats();
  const report = {
    scenario: scenario.name,
    board: platform.board.name,
    seed: scenario.seed,
    simulatedSeconds: lastTime,
    buffers: plans.flatMap((plan) =>
      physmems.get(plan.spec.name)!.map((pm, instance) => ({
        name: plan.spec.name,
        instance,
        memtype: plan.memtype,
        bytes: plan.bytes,
        allocBytes: plan.allocBytes,
        contiguous: pm.isContiguous,
        chunks: pm.chunks().map((c) => ({ pa: c.pa, len: c.len })),
      })),
    ),
    spaces: scenario.spaces.map((s) => {
      const vcm = vcms.get(s.name)!;
      return {
        name: s.name,
        kind: s.kind,
        start: vcm.startAddr,
        len: vcm.len,
        devices: spaceDevices(s, devices),
        pageTableBytes: s.kind === 'device' || s.kind === 'one-to-one' ? tableBytes(platform, s, contexts) : null,
        reservations: placed(s),
      };
    }),
    devices: deviceRows,
    traffic: trafficRows,
    tlbs,
    smmus: smmuRows,
    pools: {
      block: stats.pools.map((p) => ({ name: p.name, blockSize: p.blockSize, total: p.total, inUse: p.inUse, free: p.free })),
      contiguous: stats.contiguousPools.map((p) => ({ name: p.name, size: p.size, inUseBytes: p.inUseBytes, largestFree: p.largestFree, freeExtents: p.freeExtents.length })),
      memtypes: stats.memtypes.map((m) => ({ id: m.id, name: m.name, allocatedBytes: m.allocatedBytes, freeBytes: m.freeBytes, totalBytes: m.totalBytes })),
      pageTableBytes: stats.tables.inUseBytes,
    },
    checksums,
    faults,
  };

  // ---- expectations ----
  const expectations = scenario.expect.map((e) => {
    switch (e.kind) {
      case 'misses':
      case 'walks': {
        const actual = perDevice.get(e.device)?.[e.kind] ?? 0;
        return { name: e.name, kind: e.kind, ok: actual <= e.atMost, expected: `≤ ${e.atMost}`, actual: String(actual) };
      }
      case 'walk-accesses': {
        const actual = deviceRows.find((d) => d.name === e.device)?.events?.trans_table_walk_access ?? 0;
        return { name: e.name, kind: e.kind, ok: actual <= e.atMost, expected: `≤ ${e.atMost} descriptor reads`, actual: String(actual) };
      }
      case 'deadline': {
        const frame = deviceRows.find((d) => d.name === e.device)?.timing?.frame ?? null;
        if (frame === null) return { name: e.name, kind: e.kind, ok: false, expected: 'every frame within its period', actual: 'no timed frame ran' };
        const ms = (x: number): string => `${(x * 1e3).toFixed(3)} ms`;
        return {
          name: e.name,
          kind: e.kind,
          ok: frame.deadlineMet,
          expected: `every frame within its period (${ms(frame.periodSeconds)})`,
          actual: `slowest frame ${ms(frame.worstSeconds)} of ${ms(frame.periodSeconds)} (${frame.deadlineMet ? 'met' : 'missed'})`,
        };
      }
      case 'no-fault':
        return { name: e.name, kind: e.kind, ok: faults.length === 0, expected: 'no fault', actual: faults.length === 0 ? 'no fault' : `${faults.length} fault(s), first: ${faults[0]!.device}: ${faults[0]!.message}` };
      case 'bytes-equal': {
        const plan = plans.find((x) => x.spec.name === e.buffer)!;
        const reads = e.mappers.map((d) => {
          const space = spaceFor(scenario, devices, d, e.buffer, undefined)[0]!;
          const va = reservations.get(`${space}\0${e.buffer}`)![e.instance]!.devAddr;
          try {
            return port(d).read(va, plan.bytes);
          } catch (err) {
            if (!isVcmError(err)) throw err;
            return `${err.code}`;
          }
        });
        // Both reads' checksums in one pass where both read; a refused read stands as its error code.
        const [ra, rb] = reads;
        const [a, b] = typeof ra !== 'string' && typeof rb !== 'string' ? fnv1aPair(ra!, rb!) : reads.map((r) => (typeof r === 'string' ? r : fnv1a(r)));
        const show = (s: number | string | undefined): string => (typeof s === 'number' ? `fnv1a 0x${s.toString(16).padStart(8, '0')}` : String(s));
        return { name: e.name, kind: e.kind, ok: typeof a === 'number' && a === b, expected: `${e.mappers[0]} and ${e.mappers[1]} read the same ${plan.bytes} bytes`, actual: `${show(a)} / ${show(b)}` };
      }
    }
  });
  return { ...report, expectations, ok: expectations.every((x) => x.ok) };
}

/** Page-table bytes of a device space: every distinct table loaded for its associated contexts (a table shared by contexts of one format counts once). */
function tableBytes(platform: Platform, s: SpaceSpec, contexts: ReadonlySet<string>): number {
  const seen = new Map<number, number>();
  for (const d of s.devices) {
    if (!contexts.has(d)) continue;
    // The loaded tables (TTBR0, TTBR1) by their registers' getters: a dump would format every leaf.
    const ctx = platform.tree.getCtxInstance(d);
    for (const t of [ctx.ttbr0Table, ctx.ttbr1Table]) if (t !== undefined) seen.set(t.rootPa, t.table.tableBytes);
  }
  let total = 0;
  for (const b of seen.values()) total += b;
  return total;
}

/** One sweep point's figures. */
export interface SweepRow {
  readonly values: Readonly<Record<string, unknown>>;
  readonly ok: boolean;
  readonly devices: ScenarioReport['devices'];
  readonly expectations: ScenarioReport['expectations'];
}

/** A sweep's report: one row per point, in cross-product order. */
export interface SweepReport {
  readonly scenario: string;
  readonly fields: readonly string[];
  readonly points: readonly SweepRow[];
  readonly ok: boolean;
}

function noSweep(checked: CheckedScenario, where: string): never {
  throw new VcmError('EINVAL', `${where}: scenario "${checked.scenario.name}" has no sweep (allowed: a scenario with a "sweep" section)`, { param: 'checked' });
}

/**
 * Run point `index` of a checked scenario's sweep on its own fresh platform.
 * Points share nothing, so they can run in any order or in parallel
 * (`vcm-ref run` spreads them over worker threads) and give the same rows.
 */
export function runSweepPoint(checked: CheckedScenario, index: number): SweepRow {
  if (checked.points.length === 0) noSweep(checked, 'runSweepPoint');
  if (!Number.isInteger(index) || index < 0 || index >= checked.points.length) {
    throw new VcmError('EINVAL', `runSweepPoint: index must be an integer from 0 to ${checked.points.length - 1} (the sweep's points), got ${String(index)}`, { param: 'index', value: index });
  }
  const p = checked.points[index]!;
  const r = runScenario(p.scenario);
  return { values: p.values, ok: r.ok, devices: r.devices, expectations: r.expectations };
}

/** The sweep's report from its rows, one per point in cross-product order (as `runSweepPoint` gives them). */
export function sweepReport(checked: CheckedScenario, rows: readonly SweepRow[]): SweepReport {
  if (checked.points.length === 0) noSweep(checked, 'sweepReport');
  if (rows.length !== checked.points.length) {
    throw new VcmError('EINVAL', `sweepReport: rows must have one row per point (${checked.points.length}), got ${rows.length}`, { param: 'rows', value: rows.length });
  }
  return { scenario: checked.scenario.name, fields: checked.scenario.sweep!.axes.map((a) => a.field), points: rows, ok: rows.every((p) => p.ok) };
}

/** Run every point of a checked scenario's sweep, one after another. `EINVAL` when it has none. */
export function runSweep(checked: CheckedScenario, options: RunOptions = {}): SweepReport {
  if (checked.points.length === 0) noSweep(checked, 'runSweep');
  const rows = checked.points.map((_, i) => {
    options.progress?.(`sweep point ${i + 1}`, i, checked.points.length);
    return runSweepPoint(checked, i);
  });
  options.progress?.('done', rows.length, rows.length);
  return sweepReport(checked, rows);
}
