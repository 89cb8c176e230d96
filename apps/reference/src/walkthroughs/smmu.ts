/**
 * `smmu`: the "IOMMU Hardware Control" section of seed 000 at the SMMU
 * level, below the VCMM: smmu_drvdata_init, smmu_ctx_init, smmu_ctx_bind,
 * smmu_activate, an update bracket of smmu_map calls of each page size the
 * seed lists (4K, 64K, 1M, 16M), smmu_translate, a fault that a hooked
 * handler resolves by mapping the page and answering retry, smmu_unmap.
 */
import { SZ_16M, SZ_1M, SZ_4K, SZ_64K, VCM_1MB, VCM_4KB, VCM_64KB, VCM_ALL, VCM_MEMTYPE_0, VCM_READ, VCM_WRITE, isVcmError } from '@vcm/core';
import type { Device, FaultDecision, FaultInfo, Logger } from '@vcm/core';
import { Smmu, armLpae4k, armV7Short } from '@vcm/smmu';
import type { ContextWalk, SmmuContext } from '@vcm/smmu';
import { bytesEqual, eqHex, eqNum, eqText, holds } from '../checks.js';
import { normalisedBoard, shortFormatSmmu } from '../devices.js';
import { formatSize, hex } from '../format.js';
import { buildBoardPlatform } from '../platform.js';
import { describeError } from '../recorder.js';
import type { Walkthrough } from './types.js';

const RW = VCM_READ | VCM_WRITE;

/** A byte pattern that differs per page, so a mapping to the wrong page cannot pass. */
export function pattern(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** The dump of a context's tables as text (`--verbose`). */
export function dumpText(ctx: SmmuContext): string {
  const lines: string[] = [];
  for (const t of ctx.dumpTables()) {
    lines.push(`${t.base} ${t.format} root ${hex(t.rootPa)} (${formatSize(t.tableBytes)} of tables)`);
    for (const level of t.levels) {
      const shown = level.entries.slice(0, 24);
      for (const e of shown) lines.push(`  ${e.text}`);
      if (level.entries.length > shown.length) lines.push(`  … ${level.entries.length - shown.length} more level-${level.level} entries`);
    }
  }
  return lines.join('\n');
}

/** A walk from the registers as text (`--verbose`): each level's entry and descriptor, then the leaf or the fault. */
export function walkText(w: ContextWalk): string {
  const lines = [`walk of ${hex(w.va)}`];
  for (const s of w.steps) lines.push(`  L${s.level} entry ${hex(s.entryPa)} = ${s.descriptorHigh ? `${hex(s.descriptorHigh)}:` : ''}${hex(s.descriptor)}`);
  if (w.leaf) {
    const l = w.leaf;
    lines.push(`  → level-${l.level} leaf: ${formatSize(l.size)} at ${hex(l.va)} → ${hex(l.base)}, ${l.writable ? 'read/write' : 'read-only'}${l.executable ? ', executable' : ''}${l.nonSecure ? '' : ', secure'}; pa ${hex(l.pa)}`);
  } else if (w.fault) {
    lines.push(`  → level-${w.fault.level} ${w.fault.fault} fault`);
  }
  return lines.join('\n');
}

interface PageCase {
  readonly name: string;
  readonly size: number;
  readonly va: number;
  readonly sel: number;
  readonly sizeC: string;
}

export const smmu: Walkthrough = {
  id: 'smmu',
  title: 'IOMMU hardware control: the SMMU driver sequence',
  source: 'seed 000 "IOMMU Hardware Control" (smmu_driver.h)',
  summary:
    'Below the VCMM: one Qualcomm SMMU driven directly. The SMMU is initialised and a virtual context is created, bound to a hardware context bank and activated (a context switch that loads TTBR0). Inside one update bracket a page of each size the seed allows is mapped — 4 KiB, 64 KiB, 1 MiB, 16 MiB, each aligned to its size — and the descriptors are read back from RAM. smmu_translate walks them; a DMA to an unmapped address faults, and the hooked handler maps the page and answers retry; then everything is unmapped and the TLB is left without stale entries.',
  needs: {
    smmu: true,
    // One block per page size, each a single chunk aligned to its size as smmu_map wants, and the fault handler's page.
    memtypes: [
      {
        memtype: VCM_MEMTYPE_0,
        blockSizes: [SZ_4K, SZ_64K, SZ_1M, SZ_16M],
        allocations: [
          { bytes: SZ_4K, blockSizes: [SZ_4K] },
          { bytes: SZ_64K, blockSizes: [SZ_64K] },
          { bytes: SZ_1M, blockSizes: [SZ_1M] },
          { bytes: SZ_16M, blockSizes: [SZ_16M] },
          { bytes: SZ_4K, blockSizes: [SZ_4K] },
        ],
      },
    ],
  },
  run(rec, run) {
    const board = normalisedBoard(run.board);
    const spec = shortFormatSmmu(board) ?? board.smmus[0];
    if (spec === undefined) {
      rec.check(holds('the board has an SMMU', false, 'at least one SMMU', 'none'));
      return;
    }
    const { memory, allocator } = buildBoardPlatform(run.board);
    const format = spec.format === 'armV7Short' ? armV7Short : armLpae4k;
    const warnings: string[] = [];
    const logger: Logger = { warn: (m) => void warnings.push(m) };

    const drv = rec.step(
      `smmu_drvdata_init(&drv, ${hex(spec.base)}, ${spec.irq});`,
      `new Smmu({ name: '${spec.name}', base: ${hex(spec.base)}, irq: ${spec.irq}, contextBanks: ${spec.contextBanks}, format: ${spec.format}, tlb: { entries: ${spec.tlb.entries}, policy: '${spec.tlb.policy}' } … })`,
      () => new Smmu({ name: spec.name, base: spec.base, irq: spec.irq, contextBanks: spec.contextBanks, tlb: spec.tlb, format, hwVersion: spec.hwVersion, memory, tableAllocator: allocator, logger }),
      (s) => `SMMU ${s.name}: ${s.banks.length} context bank(s), one shared ${s.tlb.capacity}-entry ${s.tlb.policy.toUpperCase()} TLB, page sizes ${s.format.pageSizes.map(formatSize).join(', ')}`,
    );
    const name = spec.contexts[0]?.name ?? `${spec.name}-ctx0`;
    const dev = rec.step('dev = smmu_ctx_init(0);', `drv.createContext(0, { name: '${name}' })`, () => drv.createContext(0, { name }), (c) => `virtual context ${c.name} (not yet bound)`);
    rec.step('smmu_ctx_bind(dev, &drv);', 'dev.bind(drv)', () => dev.bind(drv), () => `bound to ${drv.name} context bank ${dev.toJSON().bank}, context id ${dev.contextId}`);
    rec.step('smmu_activate(dev);', 'dev.activate()', () => dev.activate(), () => `TTBR0 = ${hex(dev.toJSON().ttbr0Table ?? 0)} (an ${format.name} first-level table in RAM)`);
    rec.step('smmu_is_active(dev);', 'dev.isActive', () => dev.isActive, (a) => (a ? '1 (active)' : '0'));
    const ttbr0 = dev.toJSON().ttbr0Table ?? 0;

    const sizes = format.pageSizes;
    const all: PageCase[] = [
      { name: '4 KiB page', size: SZ_4K, va: 0x0000_1000, sel: VCM_4KB, sizeC: 'SZ_4K' },
      { name: '64 KiB large page', size: SZ_64K, va: 0x0001_0000, sel: VCM_64KB, sizeC: 'SZ_64K' },
      { name: '1 MiB section', size: SZ_1M, va: 0x0010_0000, sel: VCM_1MB, sizeC: 'SZ_1M' },
      { name: '16 MiB supersection', size: SZ_16M, va: 0x0100_0000, sel: VCM_ALL, sizeC: 'SZ_16M' },
    ];
    const cases = all.filter((c) => sizes.includes(c.size));
    const memtype = allocator.memtypes.includes(VCM_MEMTYPE_0) ? VCM_MEMTYPE_0 : allocator.memtypes[0]!;
    const pages = cases.map((c) =>
      rec.step(
        `/* a ${c.name}'s worth of RAM */ vcm_phys_alloc(VCM_MEMTYPE_0, ${c.sizeC}, ${c.sel === VCM_ALL ? 'VCM_ALL' : c.sel === VCM_1MB ? 'VCM_1MB' : c.sel === VCM_64KB ? 'VCM_64KB' : 'VCM_4KB'});`,
        `allocator.allocate(${memtype}, ${formatSize(c.size)}, …)`,
        () => allocator.allocate(memtype, c.size, c.sel),
        (a) => `pa ${hex(a.chunks[0]!.pa)} (a ${formatSize(a.chunks[0]!.blockSize)} block, aligned to its size)`,
        c.size === SZ_4K ? 'The seed maps physical addresses it already has; here they come from the board\'s block pools, whose blocks are aligned to their size as smmu_map requires.' : undefined,
      ),
    );

    rec.step('smmu_update_start(dev);', 'dev.updateStart()', () => dev.updateStart(), () => 'bracket open: TLB invalidation deferred to update_done');
    cases.forEach((c, i) => {
      const pa = pages[i]!.chunks[0]!.pa;
      rec.step(`smmu_map(dev, ${hex(pa)}, ${hex(c.va)}, ${c.sizeC}, VCM_READ | VCM_WRITE);`, `dev.map(${hex(pa)}, ${hex(c.va)}, ${formatSize(c.size)}, VCM_READ | VCM_WRITE)`, () => dev.map(pa, c.va, c.size, RW), () => `${c.name} ${hex(c.va)} → ${hex(pa)}`);
    });
    const tlbBefore = drv.tlb.stats();
    rec.step('smmu_update_done(dev);', 'dev.updateDone()', () => dev.updateDone(), () => `bracket closed (TLB invalidations so far: ${drv.tlb.stats().invalidations - tlbBefore.invalidations} stale entries removed)`);
    rec.detail(`${name} tables after the maps`, () => dumpText(dev), () => dev.dumpTables());

    // The descriptors in RAM, as the hardware walk from the bank's registers reads them (ctx.walk: one step per level).
    cases.forEach((c, i) => {
      const pa = pages[i]!.chunks[0]!.pa;
      const w = dev.walk(c.va + c.size - 8);
      rec.detail(`walk of ${hex(c.va + c.size - 8)} (the ${c.name})`, () => walkText(w), () => w);
      rec.check(eqHex(`${c.name}: the walk ends in a leaf of ${formatSize(c.size)} whose base is the page's pa`, pa, w.leaf?.size === c.size ? w.leaf.base : undefined));
      if (c.size === SZ_64K || c.size === SZ_16M) {
        // A large page or supersection is one descriptor written 16 times: the walks of its 16 parts read 16 consecutive entries, all equal.
        const part = c.size / 16;
        const leaves = Array.from({ length: 16 }, (_, k) => dev.walk(c.va + k * part).steps.at(-1)!);
        const first = leaves[0]!;
        const stride = leaves[1]!.entryPa - first.entryPa;
        const consecutive = stride > 0 && leaves.every((l, k) => l.entryPa === first.entryPa + k * stride);
        rec.check(
          holds(
            `${c.name}: one descriptor written in 16 consecutive level-${first.level} entries`,
            consecutive && leaves.every((l) => l.descriptor === first.descriptor && l.descriptorHigh === first.descriptorHigh),
            `16 equal words from ${hex(first.entryPa)}`,
            `${new Set(leaves.map((l) => l.descriptor)).size} distinct word(s) at ${leaves.map((l) => hex(l.entryPa)).slice(0, 3).join(', ')} …`,
          ),
        );
      }
    });

    // smmu_translate through the shared TLB.
    drv.resetCaches();
    cases.forEach((c, i) => {
      const pa = pages[i]!.chunks[0]!.pa;
      const off = c.size - 8; // the last word of the page: offset bits come from the VA
      const got = rec.step(`smmu_translate(dev, ${hex(c.va + off)});`, `dev.translate(${hex(c.va + off)})`, () => dev.translate(c.va + off), (p) => hex(p));
      rec.check(eqHex(`translate: last word of the ${c.name} keeps its offset`, pa + off, got));
    });
    const afterTranslate = drv.tlb.stats();
    rec.check(eqNum('one TLB miss and one walk per page translated', cases.length, afterTranslate.misses));
    const again = dev.translate(cases[0]!.va);
    rec.check(eqHex('a second translate is served by the TLB', pages[0]!.chunks[0]!.pa, again));
    rec.check(eqNum('… without another walk', afterTranslate.walks, drv.tlb.stats().walks));

    // Device traffic through the 1 MiB section (or the largest page).
    const dmaCase = cases.find((c) => c.size === SZ_1M) ?? cases[cases.length - 1]!;
    const dmaPa = pages[cases.indexOf(dmaCase)]!.chunks[0]!.pa;
    const data = pattern(dmaCase.size, 7);
    rec.step('/* the device writes by DMA */', `dev.dma.write(${hex(dmaCase.va)}, ${formatSize(data.length)})`, () => dev.dma.write(dmaCase.va, data), () => `${formatSize(data.length)} through the ${dmaCase.name}`);
    rec.check(bytesEqual(`DMA bytes landed at pa ${hex(dmaPa)}`, data, memory.read(dmaPa, data.length)));

    // A fault, handled by mapping the page and retrying.
    const faultVa = 0x0200_0000;
    const faults: FaultInfo[] = [];
    let handlerData: unknown;
    let faultPage: number | undefined;
    const token = { purpose: 'map on demand' };
    rec.step(
      'smmu_hook_irpt(dev, handler, &data);',
      'dev.hookInterrupt(handler, data)',
      () =>
        dev.hookInterrupt((d: Device, hd: unknown, fault: FaultInfo): FaultDecision => {
          faults.push(fault);
          handlerData = hd;
          const page = allocator.allocate(memtype, SZ_4K, VCM_4KB).chunks[0]!.pa;
          faultPage = page;
          (d as SmmuContext).map(page, fault.address - (fault.address % SZ_4K), SZ_4K, RW);
          return 'retry'; // vcm.txt: return 1 to retry
        }, token),
      () => 'handler registered: on a fault it maps a fresh 4 KiB page at the faulting address and answers retry (vcm.txt: 1)',
    );
    const faultData = pattern(256, 11);
    rec.step(`/* DMA to unmapped ${hex(faultVa)} */`, `dev.dma.write(${hex(faultVa)}, ${formatSize(faultData.length)})`, () => dev.dma.write(faultVa, faultData), () => `completed after ${faults.length} fault(s)`);
    const f = faults[0];
    rec.check(eqNum('the handler ran once', 1, faults.length));
    rec.check(eqText('fault kind', 'translation', f?.kind ?? 'none'));
    rec.check(eqHex('fault address (FAR) is the faulting device address', faultVa, f?.far));
    rec.check(holds('the handler received the data given to smmu_hook_irpt', handlerData === token, 'the same object', handlerData === token ? 'the same object' : String(handlerData)));
    if (faultPage !== undefined) rec.check(bytesEqual('the retried write landed in the page the handler mapped', faultData, memory.read(faultPage, faultData.length)));
    rec.set('fault', f === undefined ? null : { kind: f.kind, address: f.address, far: f.far, fsr: f.fsr, access: f.access });

    // Unmap everything.
    rec.step('smmu_update_start(dev);', 'dev.updateStart()', () => dev.updateStart(), () => 'bracket open');
    cases.forEach((c) => rec.step(`smmu_unmap(dev, ${hex(c.va)}, ${c.sizeC});`, `dev.unmap(${hex(c.va)}, ${formatSize(c.size)})`, () => dev.unmap(c.va, c.size), () => 'unmapped'));
    rec.step(`smmu_unmap(dev, ${hex(faultVa)}, SZ_4K);`, `dev.unmap(${hex(faultVa)}, 4 KiB)`, () => dev.unmap(faultVa, SZ_4K), () => 'unmapped');
    const inv0 = drv.tlb.stats().invalidations;
    rec.step('smmu_update_done(dev);', 'dev.updateDone()', () => dev.updateDone(), () => `${drv.tlb.stats().invalidations - inv0} TLB entries invalidated`);
    let after: string;
    try {
      after = hex(dev.translate(cases[0]!.va));
    } catch (e) {
      after = isVcmError(e) ? e.code : describeError(e);
    }
    rec.note(`smmu_translate(dev, ${hex(cases[0]!.va)});`, `dev.translate(${hex(cases[0]!.va)})`, after);
    rec.check(eqText('after unmap the page no longer translates (no stale TLB entry)', 'EFAULT', after));
    rec.check(eqNum('no TLB entry survives the unmaps', 0, drv.tlb.stats().entries));
    rec.step('smmu_deactivate(dev);', 'dev.deactivate()', () => dev.deactivate(), () => 'context bank released');
    rec.step('smmu_ctx_deinit(dev);', 'dev.deinit()', () => dev.deinit(), () => 'context freed (its table memory returned)');
    rec.set('smmu', { name: drv.name, base: drv.base, irq: drv.irq, format: format.name, ttbr0 });
    rec.set('tlb', drv.tlb.stats());
    if (warnings.length > 0) rec.set('warnings', warnings);
  },
};
