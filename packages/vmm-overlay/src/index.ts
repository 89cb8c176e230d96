export { Vmm, LINEAR_MAP_PROT } from './vmm.js';
export type { VmmOptions, VmmSnapshot } from './vmm.js';
export { Process } from './process.js';
export type { ProcessSnapshot } from './process.js';
export { Cpu } from './cpu.js';
export type { CpuAccessOptions, CpuContext, CpuMode, CpuStats, CpuUserContext } from './cpu.js';
export { CpuDriver, SCORPION_MIDR } from './cpu-driver.js';
export { CpuTlb, GLOBAL_ASID, TLB_EXECUTE, TLB_READ, TLB_USER, TLB_WRITE } from './cpu-tlb.js';
export type { CpuTlbEntry, CpuTlbOptions, CpuTlbStats } from './cpu-tlb.js';
export { CpuAddressSpace, CpuPageTable } from './cpu-address-space.js';
export type { CpuMapping } from './cpu-address-space.js';
export { CpuPrebuiltVcm, VmmPrebuiltProvider } from './prebuilt.js';
export {
  PAGE_OFFSET,
  USER_MMAP_END,
  USER_MMAP_START,
  VMALLOC_END,
  VMALLOC_GUARD,
  VMALLOC_OFFSET,
  computeLayout,
} from './layout.js';
export type { KernelRamRange, LinearMapRange, VmmLayout } from './layout.js';
export type { CpuFaultDetails } from './oops.js';
