/**
 * How a CPU fault reads: like the kernel oops Linux prints for a bad
 * access ("Unable to handle kernel paging request at virtual address …"),
 * plus what the short-descriptor walk found, so a user can see why. The
 * fault status values are the ARMv7 short-descriptor DFSR encodings.
 */
import { VcmError, hex } from '@vcm/core';
import type { AccessKind, FaultKind, PhysicalMemory } from '@vcm/core';

export type CpuMode = 'kernel' | 'user';

/** DFSR.FS for each fault kind at level 1 (section) and level 2 (page). */
const FSR: Readonly<Record<FaultKind, readonly [number, number]>> = {
  translation: [0x05, 0x07],
  'access-flag': [0x03, 0x06],
  permission: [0x0d, 0x0f],
};
/** DFSR.WnR: the abort was caused by a write. */
const FSR_WNR = 1 << 11;

export function faultStatus(kind: FaultKind, level: number, access: AccessKind): number {
  const pair = FSR[kind];
  return (level >= 2 ? pair[1] : pair[0]) | (access === 'write' ? FSR_WNR : 0);
}

/** What the walk found where it stopped. */
export interface FoundDescriptor {
  readonly descriptor: number;
  readonly level: number;
}

/**
 * The descriptor a short-descriptor walk of `va` stops at when it finds no
 * leaf: the level-1 entry, or the level-2 entry when level 1 points at a
 * table. Only for the oops message; the translation itself is the format's
 * `walk` (docs/hardware.md#page-table-formats: level-1 index VA[31:20], low
 * bits 01 = table with
 * its base in [31:10]; level-2 index VA[19:12]).
 */
export function findDescriptor(memory: PhysicalMemory, rootPa: number, va: number): FoundDescriptor {
  const l1 = memory.readU32(rootPa + (va >>> 20) * 4) >>> 0;
  if ((l1 & 3) !== 1) return { descriptor: l1, level: 1 };
  const l2 = memory.readU32((l1 & 0xffff_fc00) + ((va >>> 12) & 0xff) * 4) >>> 0;
  return { descriptor: l2, level: 2 };
}

export interface CpuFaultDetails {
  readonly address: number;
  readonly access: AccessKind;
  readonly mode: CpuMode;
  readonly kind: FaultKind;
  /** The descriptor the walk stopped at; `undefined` when there was no table to walk. */
  readonly descriptor: number | undefined;
  readonly level: number | undefined;
  readonly reason: string;
  readonly fsr: number;
  readonly asid: number;
  readonly process: string | undefined;
  readonly cpu: string;
}

/** The `EFAULT` a CPU access raises. */
export function cpuFaultError(d: CpuFaultDetails): VcmError {
  const who = d.process === undefined ? '' : `, ${d.process}`;
  const found = d.descriptor === undefined ? 'no page table' : `level-${d.level ?? 1} descriptor ${hex(d.descriptor)}`;
  const message =
    `Unable to handle ${d.mode} paging request at virtual address ${hex(d.address)} ` +
    `(${d.access}, ${d.mode} mode${who}): ${found}: ${d.reason}`;
  return new VcmError('EFAULT', `${d.cpu}: ${message}`, { ...d });
}
