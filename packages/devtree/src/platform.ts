/**
 * `buildPlatform(description)`: the one place that assembles a whole
 * simulated system from a board description — RAM, pools and memtypes
 * (`@vcm/physalloc`), the CPU's VMM (`@vcm/vmm-overlay`), every SMMU with
 * its named contexts bound to their banks (`@vcm/smmu`), direct-mapped
 * devices, the `Vcmm` wired to all of them (`@vcm/core`), the device tree
 * and the `/dev` nodes. Everything hangs off the returned object: two
 * platforms in one process share nothing (docs/rules.md#handles-and-platforms).
 */
import { Vcmm, createDirectDriver, VcmError } from '@vcm/core';
import type { Device, DirectDevice, Logger, MappingDriver, VcmmSnapshot } from '@vcm/core';
import { createPhysicalSystem } from '@vcm/physalloc';
import type { PhysAllocator, PhysAllocatorStats, PhysicalRam, PhysicalSystem, PhysicalSystemDescription } from '@vcm/physalloc';
import { Smmu, armLpae4k, armV7Short, createSmmuDriver } from '@vcm/smmu';
import type { CacheOverrides, PageTableFormat, SmmuContext, SmmuDriver } from '@vcm/smmu';
import { Vmm } from '@vcm/vmm-overlay';
import type { Cpu } from '@vcm/vmm-overlay';
import type { Board, BoardDescription, FormatName } from './board.js';
import { DevNodes, DEFAULT_NODE_VCM } from './dev-nodes.js';
import type { DevNodesSnapshot, NodeVcmRange } from './dev-nodes.js';
import { closestNames } from './suggest.js';
import { DeviceTree } from './tree.js';
import { validateBoard } from './validate-board.js';

const FORMATS: Readonly<Record<FormatName, PageTableFormat>> = { armV7Short, armLpae4k };

/** Options of `buildPlatform` beyond the board: where warnings go and the VCM a `/dev` node makes for itself. */
export interface PlatformOptions {
  /** Where warnings of every layer go (default: each layer's own, `console.warn`). */
  readonly logger?: Logger;
  /** The device VCM a `/dev` node creates for its context when none is active on it (default `DEFAULT_NODE_VCM`). */
  readonly nodeVcm?: NodeVcmRange;
}

/**
 * What `buildPlatform` takes: a `BoardDescription`, so editors complete and
 * check a board written in code, or a value typed `unknown` (a parsed board
 * file), which is checked at run time all the same.
 */
export type BoardInput<T> = unknown extends T ? T : BoardDescription;

/** What a platform's state is, for "nothing changed" comparisons: no counters, no RAM contents. */
export interface PlatformSnapshot {
  readonly pools: unknown;
  readonly vcmm: VcmmSnapshot;
  readonly contexts: readonly unknown[];
  readonly processes: readonly unknown[];
  readonly dev: DevNodesSnapshot;
  /** The VMM's vmalloc area: kernel VCMs' reservations and bounds are placed there, not by core. */
  readonly vmalloc: { readonly usedBytes: number; readonly freeBytes: number };
  /** The CPU's activations (reference counts, per prebuilt VCM id). */
  readonly cpu: { readonly active: readonly { readonly vcm: number; readonly count: number }[] };
  /** Each direct-mapped device's activation count. */
  readonly directDevices: readonly { readonly name: string; readonly active: number }[];
}

/**
 * A whole simulated system built from one board (`buildPlatform`): RAM,
 * pools and memtypes, the VMM and CPU, every SMMU and context, the `Vcmm`
 * wired to all drivers, the device tree and the `/dev` nodes. Everything
 * hangs off this object; two platforms in one process share nothing, and a
 * handle of one is `EINVAL` in the other (docs/rules.md#handles-and-platforms).
 */
export interface Platform {
  /** The validated board it was built from. */
  readonly board: Board;
  readonly vcmm: Vcmm;
  readonly memory: PhysicalRam;
  readonly allocator: PhysAllocator;
  /** Pools and memtypes by name, as `@vcm/physalloc` built them. */
  readonly physical: PhysicalSystem;
  readonly vmm: Vmm;
  /** The CPU (`vmm.cpu`). */
  readonly cpu: Cpu;
  /** SMMUs by name, in board order. */
  readonly smmus: Readonly<Record<string, Smmu>>;
  /** The SMMU driver all SMMUs of this platform share (VCMs share tables per format). */
  readonly smmuDriver: SmmuDriver;
  /** Direct-mapped devices by name. */
  readonly directDevices: Readonly<Record<string, DirectDevice>>;
  readonly tree: DeviceTree<Smmu, SmmuContext>;
  /** `/dev/<context>` nodes. */
  readonly dev: DevNodes;
  /** Any device of the board by name (contexts, the CPU, direct devices); `ENODEV` naming the closest. */
  device(name: string): Device;
  /** The state of pools, graph, contexts, processes and nodes (no counters): equal snapshots, equal state. */
  snapshot(): PlatformSnapshot;
}

/** The board's memory section in the shape `createPhysicalSystem` takes. */
function physicalDescription(board: Board): PhysicalSystemDescription {
  const m = board.memory;
  return {
    banks: m.banks.map((b) => ({ name: b.name, base: b.base, size: b.size })),
    pools: m.pools.flatMap((p) => (p.kind === 'block' ? [{ name: p.name, bank: p.bank, base: p.base, blockSize: p.blockSize, count: p.count }] : [])),
    contiguous: m.pools.flatMap((p) => (p.kind === 'contiguous' ? [{ name: p.name, base: p.base, size: p.size }] : [])),
    memtypes: m.memtypes.map((t) => ({ id: t.id, name: t.name, pools: [...t.pools], contiguous: t.contiguous })),
    tableRegion: { base: m.tableRegion.base, size: m.tableRegion.size },
  };
}

/** Keys of pool statistics that record history (high-water marks), not state. */
const HISTORY_KEYS = new Set(['highWater', 'highWaterBytes']);

/** Pool state without the high-water marks (what must be equal after a balanced workload). */
function poolState(stats: PhysAllocatorStats): unknown {
  return JSON.parse(JSON.stringify({ pools: stats.pools, contiguousPools: stats.contiguousPools, memtypes: stats.memtypes, tables: stats.tables }), (key, value: unknown) =>
    HISTORY_KEYS.has(key) ? undefined : value,
  );
}

/**
 * Build a whole platform from a board description (validated first: a bad
 * board is `EINVAL` with the JSON path). The `Vcmm` gets the allocator,
 * every driver (SMMU, CPU, direct) and the VMM's prebuilt provider; every
 * context is created on its SMMU and bound to its bank.
 */
export function buildPlatform<T>(description: BoardInput<T>, options: PlatformOptions = {}): Platform {
  const board = validateBoard(description);
  const logger = options.logger;
  const physical = createPhysicalSystem(physicalDescription(board));
  const { memory, allocator } = physical;
  const kernelRam = board.memory.kernelRam;
  const vmm = new Vmm({ memory, allocator, kernelRam, ...(logger ? { logger } : {}) });
  const smmuDriver = createSmmuDriver();

  const smmus: Record<string, Smmu> = {};
  const tree = new DeviceTree<Smmu, SmmuContext>(board, {
    smmu: (spec) => {
      const smmu = new Smmu({
        name: spec.name,
        base: spec.base,
        irq: spec.irq,
        contextBanks: spec.contextBanks,
        tlb: { entries: spec.tlb.entries, policy: spec.tlb.policy },
        ...(spec.model === undefined ? {} : { model: spec.model }),
        // The schema checked every field; a key given as undefined means "the model's", as new Smmu reads it.
        ...(spec.caches === undefined ? {} : { caches: spec.caches as CacheOverrides }),
        format: FORMATS[spec.format],
        hwVersion: spec.hwVersion,
        memory,
        tableAllocator: allocator,
        driver: smmuDriver,
        ...(logger ? { logger } : {}),
      });
      smmus[spec.name] = smmu;
      return smmu;
    },
    // smmu_ctx_init + smmu_ctx_bind: the context exists and sits on its bank from boot, as the board files probed them.
    context: (ctx, parent) => {
      const context = parent.smmu.createContext(undefined, { name: ctx.name, bank: ctx.bank });
      context.bind(parent.smmu, ctx.bank);
      return context;
    },
  });

  // A direct driver of this platform's own, so that another platform's Vcmm refuses its devices.
  const directDriver = createDirectDriver();
  const directDevices: Record<string, DirectDevice> = {};
  for (const d of board.directDevices) directDevices[d.name] = directDriver.device(d.name);

  const drivers: MappingDriver[] = [smmuDriver, vmm.driver, directDriver];
  const vcmm = new Vcmm({ memory, allocator, drivers, prebuilt: vmm.prebuilt, ...(logger ? { logger } : {}) });
  const dev = new DevNodes({ vcmm, vmm, tree, range: options.nodeVcm ?? DEFAULT_NODE_VCM });

  const cpuName = board.cpus[0]!.name;
  const devices = new Map<string, Device>();
  for (const c of tree.contexts()) devices.set(c.name, c.device);
  devices.set(cpuName, vmm.cpu);
  for (const [name, d] of Object.entries(directDevices)) devices.set(name, d);

  return Object.freeze({
    board,
    vcmm,
    memory,
    allocator,
    physical,
    vmm,
    cpu: vmm.cpu,
    smmus: Object.freeze(smmus),
    smmuDriver,
    directDevices: Object.freeze(directDevices),
    tree,
    dev,
    device(name: string): Device {
      const d = devices.get(name);
      if (d === undefined) {
        const near = closestNames(String(name), devices.keys());
        throw new VcmError('ENODEV', `platform.device: no device named ${JSON.stringify(name)} on board "${board.name}"${near.length > 0 ? ` (closest: ${near.map((n) => `"${n}"`).join(', ')})` : ''}`, {
          name,
        });
      }
      return d;
    },
    snapshot(): PlatformSnapshot {
      return {
        pools: poolState(allocator.stats()),
        vcmm: vcmm.snapshot(),
        contexts: [...tree.contexts()].map((c) => {
          const s = c.device.toJSON();
          return {
            name: s.name,
            bank: s.bank,
            active: s.active,
            ttbr0Table: s.ttbr0Table,
            ttbr1Table: s.ttbr1Table,
            ownTable: s.ownTable,
            // Fault observability: a handler is hooked, and the last fault's record.
            hooked: s.hooked,
            fsr: s.registers.fsr,
            far: s.registers.far,
          };
        }),
        processes: vmm.processes.map((p) => p.toJSON()),
        dev: dev.snapshot(),
        vmalloc: vmm.vmallocUse,
        cpu: { active: vmm.driver.activeVcms().map((a) => ({ vcm: a.id, count: a.count })) },
        directDevices: Object.values(directDevices).map((d) => ({ name: d.name, active: d.activeCount })),
      };
    },
  });
}
