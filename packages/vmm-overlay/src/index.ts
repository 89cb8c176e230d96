export { Vmm, LINEAR_MAP_PROT } from './vmm.js';
export type { VmmOptions, VmmSnapshot } from './vmm.js';
// The VMM makes the CPU, its driver, processes, page tables and prebuilt VCMs; users get them
// from a Vmm (vmm.cpu, vmm.createProcess …) and need only their types.
export type { Process, ProcessSnapshot } from './process.js';
export { CPU_TLB_BANK, CPU_TLB_DEFAULT_ENTRIES, CPU_TLB_SIZES_LOG2 } from './cpu.js';
export type { Cpu, CpuAccessOptions, CpuContext, CpuMode, CpuStats, CpuUserContext, CpuWalk } from './cpu.js';
export { DACR_ALL_CLIENT } from './cpu-registers.js';
export type { CpuRegisterFields, CpuRegisterWords, CpuRegisters, CpuWalkConfigs, DomainAccess } from './cpu-registers.js';
export { SCORPION_MIDR } from './cpu-driver.js';
export type { CpuDriver } from './cpu-driver.js';
// The CPU's TLB is @vcm/smmu's Tlb. The names the CPU's own TLB had stay, as
// aliases of the shared ones: the class `cpu.tlb` is, the global-entry tag
// and the permission bits (same values as before: -1, 1, 2, 4, 8).
export {
  Tlb as CpuTlb,
  TLB_GLOBAL as GLOBAL_ASID,
  PERM_EXECUTE as TLB_EXECUTE,
  PERM_READ as TLB_READ,
  PERM_USER as TLB_USER,
  PERM_WRITE as TLB_WRITE,
} from '@vcm/smmu';
export type { TlbEntry as CpuTlbEntry, TlbOptions as CpuTlbOptions, TlbStats as CpuTlbStats } from '@vcm/smmu';
export type { CpuAddressSpace, CpuMapping, CpuPageTable } from './cpu-address-space.js';
export type { CpuPrebuiltVcm, VmmPrebuiltProvider } from './prebuilt.js';
export {
  PAGE_OFFSET,
  USER_MMAP_END,
  USER_MMAP_START,
  VMALLOC_END,
  VMALLOC_GUARD,
  VMALLOC_MIN,
  VMALLOC_OFFSET,
  computeLayout,
} from './layout.js';
export type { KernelRamRange, LinearMapRange, VmmLayout } from './layout.js';
export type { CpuFaultDetails } from './oops.js';
