/**
 * Test support (not part of the build): a fake prebuilt provider standing in
 * for `@vcm/vmm-overlay`: `VCM_PREBUILT_KERNEL` is a kernel "vmalloc area"
 * whose table is a `FakeSpace` of a fake CPU driver, placed with a
 * `RangeAllocator` (the original's `alloc_vm_area()`). It reports one alias,
 * a write-back linear map of the last 1 MiB of the default 64 MiB memtype 0
 * (reach it with `mapPhysAddr(0x43f0_0000, SZ_1M)`), for aliasing tests
 * (docs/rules.md#aliasing).
 */
import { SZ_1M, SZ_256M, VCM_PREBUILT_KERNEL, VCM_WB_WA } from './constants.js';
import type { MappingAlias, PrebuiltProvider, PrebuiltVcm } from './driver.js';
import { VcmError } from './errors.js';
import type { PhysicalAllocator, PhysicalMemory } from './memory.js';
import { RangeAllocator } from './range-allocator.js';
import { FakeIommuDriver, type FakeDevice } from './test-iommu-driver.js';

export interface FakePrebuilt {
  provider: PrebuiltProvider;
  cpuDriver: FakeIommuDriver;
  cpu: FakeDevice;
  disposed: number;
  revoke: (() => void) | undefined;
}

export const LINEAR_MAP_ALIAS: MappingAlias = Object.freeze({
  description: 'kernel linear map 0xc3f0_0000-0xc3ff_ffff',
  pa: 0x43f0_0000,
  len: SZ_1M,
  cachePolicy: VCM_WB_WA,
});

export function makeFakePrebuilt(allocator: PhysicalAllocator, memory: PhysicalMemory): FakePrebuilt {
  const cpuDriver = new FakeIommuDriver(allocator, memory, { name: 'fake-cpu', vcmTypes: ['ext-kernel', 'ext-user'], hwVersion: 0 });
  const state: FakePrebuilt = {
    provider: undefined as unknown as PrebuiltProvider,
    cpuDriver,
    cpu: cpuDriver.device('cpu0'),
    disposed: 0,
    revoke: undefined,
  };
  state.provider = {
    drivers: [cpuDriver],
    create(extVcmId: number): PrebuiltVcm {
      if (extVcmId !== VCM_PREBUILT_KERNEL) throw new VcmError('ENODEV', `fake prebuilt: unknown ext_vcm_id ${extVcmId}`, { extVcmId });
      const startAddr = 0xd000_0000;
      const len = SZ_256M;
      const ranges = new RangeAllocator(startAddr, len);
      const space = cpuDriver.createAddressSpace({ id: -1, type: 'ext-kernel', startAddr, len });
      return {
        type: 'ext-kernel',
        startAddr,
        len,
        driver: cpuDriver,
        space,
        place(l: number, align: number): number {
          const va = ranges.allocate(l, align);
          if (va === undefined) throw new VcmError('ENOMEM', 'fake vmalloc area full', { len: l });
          return va;
        },
        release(va: number, l: number): void {
          ranges.free(va, l);
        },
        dispose(): void {
          state.disposed++;
        },
        onRevoke(revoke: () => void): void {
          state.revoke = revoke;
        },
      };
    },
    findAliases(pa: number, len: number): readonly MappingAlias[] {
      const a = LINEAR_MAP_ALIAS;
      return pa < a.pa + a.len && a.pa < pa + len ? [a] : [];
    },
  };
  return state;
}
